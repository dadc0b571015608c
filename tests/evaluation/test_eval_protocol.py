"""The evaluation protocol: day splits, the leak guard, intervals, and encoders that never see the test window."""

import datetime as dt

import pandas as pd
import pytest

from persona_dagster.evaluation import encoders
from persona_dagster.evaluation.intervals import bootstrap_interval, paired_difference
from persona_dagster.evaluation.protocol import LeakError, TimeSplit, assert_no_leak, before_or_on, time_split
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig

D = [dt.date(2026, 1, d) for d in range(1, 11)]


def test_time_split_puts_validation_before_test_and_learning_before_the_test_window():
    split = time_split(D, seen_days=6, valid_days=2)
    assert (split.train_end, split.valid_end, split.test_end) == (D[3], D[5], D[9])
    assert split.test_cutoff == D[5]
    assert time_split(D, 6, 2, test_days=2).test_end == D[7]
    with pytest.raises(ValueError, match="leaves no test day"):
        time_split(D, 10, 2)
    with pytest.raises(ValueError, match="must exceed valid_days"):
        time_split(D, 2, 2)
    with pytest.raises(ValueError, match="must increase"):
        TimeSplit(D[3], D[3], D[5])


def test_the_leak_guard_names_the_late_rows():
    frame = pd.DataFrame({"event_date": [D[0], D[4], D[5]]})
    assert len(before_or_on(frame, D[4])) == 2
    assert_no_leak(frame.iloc[:2], D[4], "x")
    with pytest.raises(LeakError, match="1 rows of training sessions fall after the cutoff 2026-01-05"):
        assert_no_leak(frame, D[4], "training sessions")


def test_bootstrap_interval_covers_the_mean_and_paired_difference_sees_a_real_gap():
    hits = [1.0] * 60 + [0.0] * 40
    ci = bootstrap_interval(hits)
    assert ci["n"] == 100 and ci["lo"] < 0.6 < ci["hi"] and ci["hi"] - ci["lo"] < 0.25
    better = paired_difference([1.0] * 100, hits)
    assert better["mean"] == pytest.approx(0.4) and better["lo"] > 0
    with pytest.raises(ValueError, match="same examples"):
        paired_difference([1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="no examples"):
        bootstrap_interval([])


def test_no_session_on_or_after_the_cutoff_reaches_the_tokenizer_or_the_masked_lm(tmp_path, monkeypatch):
    sessions = toy_sessions(n_sessions=120, n_users=12)
    sessions["event_date"] = sessions["session_start"].dt.date
    cutoff = sorted(sessions["event_date"].unique())[9]
    seen = {"tokenizer": [], "mlm": []}
    train_tokenizer, pretrain = encoders.tokenizers.train_tokenizer, encoders.pretrain_mlm

    def spy_tokenizer(texts, *args, **kwargs):
        seen["tokenizer"].extend(texts)
        return train_tokenizer(texts, *args, **kwargs)

    def spy_pretrain(texts, *args, **kwargs):
        seen["mlm"].extend(texts)
        return pretrain(texts, *args, **kwargs)

    monkeypatch.setattr(encoders.tokenizers, "train_tokenizer", spy_tokenizer)
    monkeypatch.setattr(encoders, "pretrain_mlm", spy_pretrain)
    cfg = TrainConfig(epochs=1, max_len=64, cpu_threads=1)
    built = encoders.encoder_for_cutoff(sessions, cutoff, tmp_path, cfg, preset="tiny")
    allowed = set(sessions.loc[sessions["event_date"] <= cutoff, "sequence"])
    late = set(sessions.loc[sessions["event_date"] > cutoff, "sequence"]) - allowed
    assert late, "the fixture must have sessions after the cutoff"
    for stage in ("tokenizer", "mlm"):
        assert seen[stage] and set(seen[stage]) <= allowed and not set(seen[stage]) & late
    assert built.n_sessions == int((sessions["event_date"] <= cutoff).sum()) and not built.cached
    assert (built.path / "config.json").exists() and built.tokenizer() is not None
    # The same cutoff and sessions come from the cache without training again.
    again = encoders.encoder_for_cutoff(sessions, cutoff, tmp_path, cfg, preset="tiny")
    assert again.cached and again.path == built.path and len(seen["mlm"]) == built.n_sessions
    # Later sessions change nothing about that cutoff's encoder.
    more = pd.concat([sessions, sessions.assign(event_date=D[-1] + dt.timedelta(days=60),
                                                session_key=sessions["session_key"] + "-late")])
    assert encoders.encoder_for_cutoff(more, cutoff, tmp_path, cfg, preset="tiny").path == built.path
