"""The reference inputs as lookups: activity -> task, persona -> tasks, persona -> services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from persona_dagster.segments.frames import require_columns
from persona_dagster.sequences import activity_token, clean_part


def activity_task_map(rows: pd.DataFrame) -> dict[str, str]:
    """{'service;page' or 'service': task} from rows (service, page, task); a null page maps the whole service."""
    require_columns(rows, ("service", "page", "task"), "activity->task rows")
    mapping: dict[str, str] = {}
    for service, page, task in rows[["service", "page", "task"]].itertuples(index=False):
        key = clean_part(str(service)) if pd.isna(page) else activity_token(str(service), str(page))
        if key in mapping and mapping[key] != task:
            raise ValueError(f"activity {key!r} maps to both {mapping[key]!r} and {task!r}")
        mapping[key] = str(task)
    return mapping


def task_of(activity: str, activity_tasks: Mapping[str, str]) -> str | None:
    """The activity's task: its exact 'service;page' entry, else its service's entry, else None."""
    task = activity_tasks.get(activity)
    if task is None:
        task = activity_tasks.get(activity.split(";", 1)[0])
    return task


def persona_task_sets(rows: pd.DataFrame) -> dict[str, frozenset[str]]:
    """{persona: tasks} from rows (persona, task, ...), personas in first-seen order."""
    require_columns(rows, ("persona", "task"), "persona->task rows")
    sets: dict[str, set[str]] = {}
    for persona, task in rows[["persona", "task"]].itertuples(index=False):
        sets.setdefault(str(persona), set()).add(str(task))
    return {persona: frozenset(tasks) for persona, tasks in sets.items()}


def persona_services(
    activity_tasks: Mapping[str, str], persona_tasks: Mapping[str, Iterable[str]]
) -> dict[str, frozenset[str]]:
    """{persona: services any activity of the persona's tasks belongs to}."""
    services_of_task: dict[str, set[str]] = {}
    for activity, task in activity_tasks.items():
        services_of_task.setdefault(task, set()).add(activity.split(";", 1)[0])
    return {
        persona: frozenset(s for task in tasks for s in services_of_task.get(task, ()))
        for persona, tasks in persona_tasks.items()
    }
