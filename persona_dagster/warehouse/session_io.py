"""Read session sequences out of the warehouse for model training and inference."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

SESSION_COLUMNS = "session_key, user_id, event_date, session_start, n_activities, activities, sequence"


def read_sessions(
    con: duckdb.DuckDBPyConnection,
    first: dt.date | None = None,
    end: dt.date | None = None,
    latest: int | None = None,
) -> pd.DataFrame:
    """marts.session_sequences rows in [first, end) ordered by time; `latest` keeps the most recent N."""
    where, params = [], []
    if first is not None:
        where.append("event_date >= ?")
        params.append(first)
    if end is not None:
        where.append("event_date < ?")
        params.append(end)
    clause = f"where {' and '.join(where)}" if where else ""
    # The most recent N (newest first, limited), handed back oldest first like every other read.
    newest = "" if latest is None else f"order by session_start desc, session_key desc limit {int(latest)}"
    sql = (f"select * from (select {SESSION_COLUMNS} from marts.session_sequences {clause} {newest}) "
           "order by session_start, session_key")
    frame = con.execute(sql, params).df()
    # Plain dates, so callers compare with datetime.date partition days without surprises.
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    return frame
