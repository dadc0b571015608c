"""Next-activity examples from sessions: the sequence minus its last activity -> that activity."""

from __future__ import annotations

import pandas as pd

from persona_dagster.sequences import format_session_sequence
from persona_dagster.sessionbert.sessions import service_of, session_parts

# Each fine-tuning task and the example column holding its label.
TASK_TARGETS: dict[str, str] = {"service": "next_service", "page": "next_page"}
KEY_COLUMNS = ("session_key", "user_id", "session_start")


def next_activity_examples(sessions: pd.DataFrame) -> pd.DataFrame:
    """One row per session with >= 2 activities: history, input `text`, next_page ('service;page'), next_service."""
    rows = []
    keys = [c for c in KEY_COLUMNS if c in sessions]
    for record, (acts, context) in zip(sessions[keys].to_dict("records"), session_parts(sessions)):
        if len(acts) < 2:
            continue
        history, target = acts[:-1], acts[-1]
        rows.append(
            record
            | {
                "history": history,
                "text": format_session_sequence(history, context),
                "next_page": target,
                "next_service": service_of(target),
            }
        )
    return pd.DataFrame(rows, columns=[*keys, "history", "text", "next_page", "next_service"])


def split_by_time(
    frame: pd.DataFrame, quantile: float = 0.8, cutoff: str | pd.Timestamp | None = None, column: str = "session_start"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(earlier, later): rows before the cutoff (default: the `quantile` of the column) train, the rest test."""
    times = pd.to_datetime(frame[column])
    edge = pd.Timestamp(cutoff) if cutoff is not None else times.quantile(quantile)
    earlier = times < edge
    return frame[earlier].reset_index(drop=True), frame[~earlier].reset_index(drop=True)
