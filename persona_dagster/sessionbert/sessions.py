"""Session rows (from DuckDB or the toy generator) as activities, context and flattened text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from persona_dagster.sequences import format_session_sequence, split_session_sequence

Context = dict[str, list[str]]


def _context(value: object) -> Context:
    """A context cell as {section: tokens}; empty for None/NaN."""
    if isinstance(value, Mapping):
        return {k: list(v) for k, v in value.items() if v is not None}
    return {}


def session_parts(sessions: pd.DataFrame) -> list[tuple[list[str], Context]]:
    """(activities, context) per row: from `activities` + `context` columns, else parsed from `sequence`.

    marts.session_sequences keeps its context in separate *_tokens columns but also the
    full `sequence`, so without a `context` column the sequence is the complete source.
    """
    if "activities" in sessions and ("context" in sessions or "sequence" not in sessions):
        contexts = sessions["context"] if "context" in sessions else [None] * len(sessions)
        return [(list(acts), _context(ctx)) for acts, ctx in zip(sessions["activities"], contexts)]
    return [split_session_sequence(seq) for seq in sessions["sequence"]]


def session_texts(sessions: pd.DataFrame) -> list[str]:
    """The flattened sequence per row, the text the tokenizer and models see."""
    if "sequence" in sessions:
        return list(sessions["sequence"])
    return [format_session_sequence(acts, ctx) for acts, ctx in session_parts(sessions)]


def service_of(activity: str) -> str:
    """'service;page' -> 'service'."""
    return activity.split(";", 1)[0]


def services_of(activities: Sequence[str]) -> list[str]:
    return [service_of(a) for a in activities]
