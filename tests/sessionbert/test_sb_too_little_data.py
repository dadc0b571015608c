"""Degenerate logs (one timestamp, one-event sessions, one label) split or fail with NotEnoughData, never IndexError."""

import pandas as pd
import pytest

from persona_dagster.errors import NotEnoughData
from persona_dagster.segments.clustering import feasible_ks
from persona_dagster.sessionbert.examples import next_activity_examples, require_examples, split_by_time
from persona_dagster.sessionbert.experiments import split_examples
from persona_dagster.sessionbert.finetune import finetune_next_activity
from persona_dagster.sessionbert.tokenizer import train_tokenizer


def _sessions(activities: list[list[str]]) -> pd.DataFrame:
    """One session per activity list, every one starting at the same instant."""
    return pd.DataFrame({
        "session_key": [f"s{i:03d}" for i in range(len(activities))],
        "user_id": [f"u{i % 7}" for i in range(len(activities))],
        "session_start": pd.Timestamp("2026-01-01 00:00:00"),
        "activities": activities,
    })


def test_sessions_sharing_one_timestamp_still_split_by_key():
    sessions = _sessions([["a;x", "b;y"]] * 50)
    train, test = split_by_time(sessions, quantile=0.8)
    assert (len(train), len(test)) == (40, 10)
    assert train["session_key"].max() < test["session_key"].min()


def test_one_event_sessions_have_no_examples_and_say_how_many_sessions_there_are():
    sessions = _sessions([["a;x"]] * 12)
    train, test = split_by_time(next_activity_examples(sessions))
    with pytest.raises(NotEnoughData, match="at least 2 activities; none of the 12 sessions"):
        require_examples(train, test, len(sessions))


def test_a_split_with_an_empty_side_names_both_counts():
    sessions = _sessions([["a;x", "b;y"]] * 3 + [["a;x"]] * 5)
    with pytest.raises(NotEnoughData, match="3 training and 0 test next-activity examples \\(from 8 sessions\\)"):
        split_examples(sessions.iloc[:4], sessions.iloc[4:])


def test_finetuning_a_head_with_only_the_other_label_is_refused(tmp_path):
    examples = next_activity_examples(_sessions([["a;x", "b;y"], ["a;x", "c;z"]]))
    tokenizer = train_tokenizer(["[activity] a;x [SEP] b;y", "[activity] a;x [SEP] c;z"], 100, "session")
    with pytest.raises(NotEnoughData, match="service head needs a label seen at least 5 time"):
        finetune_next_activity(examples, tokenizer, tmp_path, min_label_count=5, preset="tiny")


def test_kmeans_needs_more_users_than_its_smallest_k():
    assert feasible_ks(2, 5, 4) == [2, 3]
    with pytest.raises(NotEnoughData, match="needs at least 3 users with embeddings; there are 2"):
        feasible_ks(2, 5, 2)
    assert issubclass(NotEnoughData, ValueError)
