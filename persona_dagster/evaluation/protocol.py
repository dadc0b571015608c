"""Time splits with a leak guard and the protocol statement every report carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from persona_dagster.segments.frames import as_days


class LeakError(AssertionError):
    """Data on or after a split's cutoff reached something that split trains."""


@dataclass(frozen=True)
class TimeSplit:
    """Days up to `train_end` train; (train_end, valid_end] choose knobs; (valid_end, test_end] is read once.

    A learner that serves the test window is refit on every day up to valid_end with the knobs
    chosen on validation, so nothing it learns from falls on or after the test window.
    """

    train_end: dt.date
    valid_end: dt.date
    test_end: dt.date

    def __post_init__(self) -> None:
        if not self.train_end < self.valid_end < self.test_end:
            raise ValueError(f"split days must increase: {self.train_end} < {self.valid_end} < {self.test_end}")

    @property
    def test_cutoff(self) -> dt.date:
        """The last day anything serving the test window may learn from."""
        return self.valid_end

    def describe(self) -> dict[str, str]:
        return {"train": f".. {self.train_end}", "validation": f"{self.train_end} < day <= {self.valid_end}",
                "test": f"{self.valid_end} < day <= {self.test_end}",
                "learns_from_for_test": f"days <= {self.valid_end}"}


def time_split(days: Iterable[object], seen_days: int, valid_days: int = 1, test_days: int | None = None) -> TimeSplit:
    """The first seen_days distinct days are seen (train + its last valid_days validate), the next test_days test."""
    distinct = [d.item() for d in np.unique(as_days(days, "event days"))]
    if valid_days < 1 or seen_days <= valid_days:
        raise ValueError(f"seen_days={seen_days} must exceed valid_days={valid_days} (>= 1): nothing would train")
    if seen_days >= len(distinct):
        raise ValueError(f"seen_days={seen_days} leaves no test day: the data has {len(distinct)} distinct days")
    last_test = len(distinct) - 1 if test_days is None else min(len(distinct) - 1, seen_days - 1 + test_days)
    return TimeSplit(train_end=distinct[seen_days - valid_days - 1], valid_end=distinct[seen_days - 1],
                     test_end=distinct[last_test])


def before_or_on(frame: pd.DataFrame, cutoff: dt.date, column: str = "event_date") -> pd.DataFrame:
    """Rows whose day is on or before the cutoff: what a learner for that cutoff may see."""
    days = as_days(frame[column], column)
    return frame[days <= np.datetime64(cutoff, "D")].reset_index(drop=True)


def assert_no_leak(frame: pd.DataFrame, cutoff: dt.date, what: str, column: str = "event_date") -> None:
    """Raise LeakError when any row of `frame` falls after the cutoff."""
    if frame.empty:
        return
    late = as_days(frame[column], column) > np.datetime64(cutoff, "D")
    if late.any():
        raise LeakError(f"{int(late.sum())} rows of {what} fall after the cutoff {cutoff} "
                        f"(latest {pd.Series(frame[column]).max()})")


PROTOCOL = (
    "Time split by day: each learner (tokenizer, masked-LM, fine-tuning, recommender) sees only days on or "
    "before its cutoff; knobs are chosen on the validation days after the training cutoff; the test days are "
    "scored once by a model refit on train + validation. Full ranking over every service; 95% intervals by "
    "bootstrap over users (paired for differences)."
)
