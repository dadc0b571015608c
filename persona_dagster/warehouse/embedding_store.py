"""Session and user embeddings in the warehouse, keyed by the model version that made them."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

EMBEDDINGS_DDL = """
create schema if not exists embeddings;
create table if not exists embeddings.session_embeddings (
    session_key varchar not null, user_id varchar not null, event_date date not null,
    session_start timestamp not null, model_version varchar not null,
    sequence_hash ubigint not null,  -- hash of the sequence embedded; a changed session is re-embedded
    embedding float[] not null, created_at timestamp not null
);
create table if not exists embeddings.user_embeddings (
    user_id varchar not null, as_of_date date not null, model_version varchar not null,
    n_sessions integer not null, embedding float[] not null, created_at timestamp not null
);
"""


def ensure_embedding_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(EMBEDDINGS_DDL)


def sessions_to_embed(con: duckdb.DuckDBPyConnection, first: dt.date, end: dt.date, version: str) -> pd.DataFrame:
    """Sessions of [first, end) without an embedding of this version for their current sequence."""
    return con.execute(
        """
        select s.session_key, s.user_id, s.event_date, s.session_start, s.sequence, hash(s.sequence) as sequence_hash
        from marts.session_sequences s
        left join embeddings.session_embeddings e
            on e.session_key = s.session_key and e.model_version = ? and e.sequence_hash = hash(s.sequence)
        where s.event_date >= ? and s.event_date < ? and e.session_key is null
        order by s.session_start, s.session_key
        """,
        [version, first, end],
    ).df()


def prune_stale_session_embeddings(con: duckdb.DuckDBPyConnection, first: dt.date, end: dt.date, version: str) -> int:
    """Drop this version's embeddings in the window whose session is gone or has changed (re-delivered day)."""
    stale = """
        from embeddings.session_embeddings e
        where e.event_date >= ? and e.event_date < ? and e.model_version = ?
          and not exists (select 1 from marts.session_sequences s
                          where s.session_key = e.session_key and hash(s.sequence) = e.sequence_hash)
    """
    count = con.execute(f"select count(*) {stale}", [first, end, version]).fetchone()[0]
    con.execute(
        "delete from embeddings.session_embeddings where rowid in (select e.rowid " + stale + ")", [first, end, version]
    )
    return count


def write_session_embeddings(con: duckdb.DuckDBPyConnection, sessions: pd.DataFrame, vectors: np.ndarray, version: str) -> None:
    frame = sessions[["session_key", "user_id", "event_date", "session_start", "sequence_hash"]].copy()
    frame["model_version"] = version
    frame["embedding"] = list(np.asarray(vectors, dtype=np.float32))
    frame["created_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    con.register("_new_embeddings", frame)
    try:
        con.execute("insert into embeddings.session_embeddings by name select * from _new_embeddings")
    finally:
        con.unregister("_new_embeddings")


def refresh_user_embeddings(
    con: duckdb.DuckDBPyConnection, first: dt.date, end: dt.date, version: str, last_n: int = 8
) -> int:
    """For each day in [first, end) and each user active that day: mean of their last N session vectors up to it.

    Only users touched by those days are recomputed (others keep their latest row).
    """
    con.execute(
        "delete from embeddings.user_embeddings where as_of_date >= ? and as_of_date < ? and model_version = ?",
        [first, end, version],
    )
    con.execute(
        """
        insert into embeddings.user_embeddings
        with active as (
            select distinct user_id, event_date as as_of_date from marts.session_sequences
            where event_date >= ? and event_date < ?
        ),
        ranked as (
            select a.user_id, a.as_of_date, e.embedding,
                   row_number() over (partition by a.user_id, a.as_of_date
                                      order by e.session_start desc, e.session_key desc) as recency
            from active a
            join embeddings.session_embeddings e
              on e.user_id = a.user_id and e.event_date <= a.as_of_date and e.model_version = ?
        ),
        recent as (select * from ranked where recency <= ?),
        dims as (
            select user_id, as_of_date, i, avg(embedding[i]) as value, count(*) as n
            from recent, range(1, len(embedding) + 1) as r(i)
            group by user_id, as_of_date, i
        )
        select user_id, as_of_date, ?, max(n)::integer, list(value::float order by i), now()::timestamp
        from dims group by user_id, as_of_date
        """,
        [first, end, version, last_n, version],
    )
    return con.execute(
        "select count(*) from embeddings.user_embeddings where as_of_date >= ? and as_of_date < ? and model_version = ?",
        [first, end, version],
    ).fetchone()[0]


def latest_user_embeddings(con: duckdb.DuckDBPyConnection, version: str) -> tuple[list[str], np.ndarray]:
    """Each user's most recent embedding of this version: (user_ids sorted, matrix)."""
    rows = con.execute(
        """select user_id, embedding from embeddings.user_embeddings where model_version = ?
           qualify row_number() over (partition by user_id order by as_of_date desc) = 1 order by user_id""",
        [version],
    ).fetchall()
    users = [r[0] for r in rows]
    matrix = np.asarray([r[1] for r in rows], dtype=np.float32) if rows else np.zeros((0, 0), np.float32)
    return users, matrix


def stored_session_vectors(con: duckdb.DuckDBPyConnection, version: str, end: dt.date | None = None):
    """SessionVectors of every stored session embedding of this version (days before `end`, when given)."""
    from persona_dagster.segments.user_vectors import SessionVectors

    frame = con.execute(
        "select session_key, user_id, event_date, session_start, embedding from embeddings.session_embeddings "
        "where model_version = ? and (? is null or event_date < ?)", [version, end, end]).df()
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    vectors = np.stack(frame["embedding"].to_numpy()) if len(frame) else np.zeros((0, 1), np.float32)
    return SessionVectors(frame.drop(columns="embedding"), vectors)


def user_embeddings_in_window(con: duckdb.DuckDBPyConnection, first: dt.date, end: dt.date,
                              version: str) -> pd.DataFrame:
    """user_id, as_of_date, embedding of one model version for days in [first, end), by day and user."""
    return con.execute(
        "select user_id, as_of_date, embedding from embeddings.user_embeddings "
        "where as_of_date >= ? and as_of_date < ? and model_version = ? order by as_of_date, user_id",
        [first, end, version]).df()


def count_session_embeddings(con: duckdb.DuckDBPyConnection, first: dt.date, end: dt.date, version: str) -> int:
    """Session embeddings of one model version for sessions on days in [first, end)."""
    return con.execute("select count(*) from embeddings.session_embeddings where event_date >= ? and event_date < ? "
                       "and model_version = ?", [first, end, version]).fetchone()[0]
