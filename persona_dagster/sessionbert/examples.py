"""Next-activity examples from sessions: the sequence minus its last activity -> that activity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from persona_dagster.errors import NotEnoughData
from persona_dagster.sequences import format_session_sequence, split_session_sequence
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


def every_position(examples: pd.DataFrame, last: int | None = None) -> pd.DataFrame:
    """Each example's session at every position: history = its first i activities, target = the next one (i >= 1).

    last: only the last `last` positions of each session (1 gives the examples back, plus `session`).

    Why: a session-end example teaches one transition per session, while a Markov chain counts
    all of them; training on every position gives the heads the same evidence (measured in the
    ExperimentConfig.every_position note). Context sections stay those of the session. `session`
    holds the whole session, so the prior can leave it out (NgramPrior.probabilities' own_session).
    """
    rows = []
    for record in examples.to_dict("records"):
        session = [*record["history"], record["next_page"]]
        context = split_session_sequence(record["text"])[1]
        for cut in range(max(1, len(session) - last) if last else 1, len(session)):
            rows.append(record | {"history": session[:cut], "text": format_session_sequence(session[:cut], context),
                                  "next_page": session[cut], "next_service": service_of(session[cut]),
                                  "session": session})
    return pd.DataFrame(rows, columns=[*examples.columns, "session"])


def split_by_time(
    frame: pd.DataFrame, quantile: float = 0.8, cutoff: str | pd.Timestamp | None = None, column: str = "session_start"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(earlier, later): rows before `cutoff` train, the rest test; without one, the first `quantile` of rows in time.

    Rows sharing a timestamp are ordered by their key columns, so a log whose sessions all start
    at once still splits (a timestamp quantile would put every row on one side).
    """
    times = pd.to_datetime(frame[column])
    if cutoff is not None:
        earlier = (times < pd.Timestamp(cutoff)).to_numpy()
    else:
        keys = [c for c in KEY_COLUMNS if c in frame and c != column]
        order = pd.DataFrame({"_time": times.to_numpy(), **{c: frame[c].to_numpy() for c in keys}})
        ranked = order.sort_values(["_time", *keys], kind="stable").index.to_numpy()
        earlier = np.zeros(len(frame), dtype=bool)
        earlier[ranked[: int(quantile * len(frame))]] = True
    return frame[earlier].reset_index(drop=True), frame[~earlier].reset_index(drop=True)


def require_examples(train: pd.DataFrame, test: pd.DataFrame, sessions: int) -> None:
    """NotEnoughData unless the time split left next-activity examples on both sides."""
    if len(train) and len(test):
        return
    if not len(train) + len(test):
        raise NotEnoughData(f"next-activity examples need sessions with at least 2 activities; "
                            f"none of the {sessions} sessions has")
    raise NotEnoughData(f"the time split leaves {len(train)} training and {len(test)} test next-activity examples "
                        f"(from {sessions} sessions); both sides need at least one")
