"""The flattened SessionBERT session format; dbt's int_sessions__token_sequences writes the same."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

ACTIVITY = "[activity]"
SEP = "[SEP]"
# Context sections, in the order they follow the activities.
LOCATION = "[location_token]"
DAILY_PAGE = "[daily_page_token]"
DAILY_SERVICE = "[daily_service_token]"
DAILY_BILLED = "[daily_billed_token]"
MONTHLY_BILLED = "[monthly_billed_token]"
CONTEXT_SECTIONS: tuple[str, ...] = (LOCATION, DAILY_PAGE, DAILY_SERVICE, DAILY_BILLED, MONTHLY_BILLED)
SECTION_TOKENS: tuple[str, ...] = (ACTIVITY, SEP, *CONTEXT_SECTIONS)
# A user is described by their last 8 sessions (the paper's window): user vectors, the next-service rule.
LAST_SESSIONS = 8

# What dbt's token_part macro folds (RE2's \s plus the activity separator), so Python and SQL agree
# and 'service;page' always splits back at its one ';'.
_SEPARATORS = re.compile(r"[\t\n\f\r ;]+")


def clean_part(value: str) -> str:
    """A token part with whitespace and ';' folded to '_' so one activity stays one whitespace token."""
    # DuckDB's trim() strips spaces only; strip the same here.
    return _SEPARATORS.sub("_", value.strip(" "))


def activity_token(service: str, page: str) -> str:
    """'service;page', the unit of a session sequence."""
    return f"{clean_part(service)};{clean_part(page)}"


def format_session_sequence(
    activities: Sequence[str], context: Mapping[str, Sequence[str]] | None = None
) -> str:
    """'[activity] a [SEP] b ... [location_token] ... [monthly_billed_token] ...'.

    Sections with no tokens are left out, so a model never sees an empty section.
    """
    parts = [ACTIVITY, f" {SEP} ".join(activities)]
    for section in CONTEXT_SECTIONS:
        tokens = (context or {}).get(section) or ()
        if tokens:
            parts.append(section)
            parts.extend(tokens)
    return " ".join(p for p in parts if p)


def split_session_sequence(sequence: str) -> tuple[list[str], dict[str, list[str]]]:
    """Inverse of format_session_sequence: (activities, {section: tokens})."""
    tokens = sequence.split()
    activities: list[str] = []
    context: dict[str, list[str]] = {}
    current: str | None = None
    for tok in tokens:
        if tok == ACTIVITY:
            current = ACTIVITY
        elif tok in CONTEXT_SECTIONS:
            current = tok
            context[tok] = []
        elif tok == SEP:
            continue
        elif current == ACTIVITY:
            activities.append(tok)
        elif current is not None:
            context[current].append(tok)
    return activities, context
