"""A user's most recent sessions, the window both recommendation and user features look at."""

from __future__ import annotations

import pandas as pd

from persona_dagster.segments.frames import require_columns
from persona_dagster.sequences import LAST_SESSIONS

__all__ = ["LAST_SESSIONS", "last_sessions"]


def last_sessions(sessions: pd.DataFrame, n: int = LAST_SESSIONS) -> pd.DataFrame:
    """Each user's last n sessions by session_start, oldest first, users sorted."""
    require_columns(sessions, ("session_key", "user_id", "session_start"), "sessions")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    # session_key breaks ties between sessions starting at the same instant, keeping the choice stable.
    ordered = sessions.sort_values(["user_id", "session_start", "session_key"], kind="stable")
    return ordered.groupby("user_id", sort=False).tail(n).reset_index(drop=True)
