"""Intent memories: one per segment, template summaries, the optional local-checkpoint summarizer."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from persona_dagster.personas.memories import (
    CheckpointSummarizer,
    TemplateSummarizer,
    memories_frame,
    memories_from_segments,
    summarizer_for,
)
from persona_dagster.personas.policy_model import build_policy, save_policy
from persona_dagster.personas.policy_tokenizer import train_policy_tokenizer


def _segment(**overrides) -> dict:
    row = {
        "segment_id": "s1", "user_id": "u1", "session_key": "u1-1", "intent": "cost management",
        "intent_source": "task", "start_ts": pd.Timestamp("2026-01-03 08:10"),
        "end_ts": pd.Timestamp("2026-01-03 08:25"),
        "n_actions": 7, "services": np.array(["cost-explorer", "billing"]),
        "pages": np.array(["cost-explorer;overview", "billing;invoices", "cost-explorer;forecast"]),
        "event_ids": np.array(["e1", "e2"]), "event_date": dt.date(2026, 1, 3),
    }
    return {**row, **overrides}


def test_template_summary_names_time_services_pages_intent_and_actions() -> None:
    [memory] = memories_from_segments(pd.DataFrame([_segment()]))
    assert memory.text == (
        "On 2026-01-03 08:10-08:25 used cost-explorer (overview, forecast) and billing (invoices) "
        "for cost management, 7 actions."
    )
    assert memory.memory_id == "s1" and memory.services == ("cost-explorer", "billing")
    assert memory.event_ids == ("e1", "e2")


def test_service_intent_is_not_repeated_and_memories_are_ordered() -> None:
    rows = [
        _segment(segment_id="late", start_ts=pd.Timestamp("2026-01-05 09:00"), end_ts=pd.Timestamp("2026-01-05 09:01")),
        _segment(segment_id="ec2", intent="ec2", intent_source="service", services=["ec2"], pages=["ec2;home"],
                 n_actions=1),
    ]
    memories = memories_from_segments(rows)
    assert [m.memory_id for m in memories] == ["ec2", "late"]
    assert memories[0].text == "On 2026-01-03 08:10-08:25 used ec2 (home), 1 action."
    assert list(memories_frame(memories).columns)[:3] == ["memory_id", "user_id", "session_key"]


def test_summarizer_for_uses_the_template_without_a_checkpoint() -> None:
    assert isinstance(summarizer_for(None), TemplateSummarizer)


def test_checkpoint_summarizer_loads_a_local_directory_only(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        CheckpointSummarizer(tmp_path / "missing")
    tokenizer = train_policy_tokenizer(["On 2026-01-03 used billing (invoices) for cost management, 7 actions."])
    save_policy(build_policy(tokenizer), tokenizer, tmp_path / "lm")
    memories = memories_from_segments([_segment()], summarizer_for(tmp_path / "lm"))
    assert len(memories) == 1 and memories[0].text.strip()
