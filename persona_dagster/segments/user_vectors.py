"""User vectors as of a day: the mean SessionBERT vector of each user's last sessions up to that day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from persona_dagster.segments.frames import as_days, require_columns
from persona_dagster.segments.recent_sessions import LAST_SESSIONS


@dataclass
class SessionVectors:
    """Row i of `vectors` is the session in row i of `sessions` (user_id, event_date, session_start, session_key)."""

    sessions: pd.DataFrame
    vectors: np.ndarray

    def __post_init__(self) -> None:
        require_columns(self.sessions, ("user_id", "event_date", "session_start", "session_key"), "session vectors")
        if len(self.sessions) != len(self.vectors):
            raise ValueError(f"{len(self.sessions)} sessions but {len(self.vectors)} vectors")
        order = self.sessions.sort_values(["user_id", "session_start", "session_key"], kind="stable").index
        self.sessions = self.sessions.loc[order].reset_index(drop=True)
        self.vectors = np.asarray(self.vectors, dtype=np.float32)[order.to_numpy()]
        self._days = as_days(self.sessions["event_date"], "sessions.event_date")

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def as_of(self, users: pd.Index, day: dt.date, last_n: int = LAST_SESSIONS) -> np.ndarray:
        """[user, dim]: mean of the user's last_n sessions on or before `day`; zeros for a user with none."""
        keep = self._days <= np.datetime64(day, "D")
        frame = self.sessions.loc[keep, ["user_id"]].assign(row=np.flatnonzero(keep))
        recent = frame.groupby("user_id", sort=False).tail(last_n)
        codes = users.get_indexer(recent["user_id"])
        inside = codes >= 0
        sums = np.zeros((len(users), self.dim), np.float64)
        np.add.at(sums, codes[inside], self.vectors[recent["row"].to_numpy()[inside]])
        counts = np.bincount(codes[inside], minlength=len(users))[:, None]
        return (sums / np.maximum(counts, 1)).astype(np.float32)
