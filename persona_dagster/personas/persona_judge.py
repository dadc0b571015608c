"""An independent judge of written personas: what they name, against the catalogue, the evidence and true personas.

It shares no code with the training reward (quality.py / claims.py): its own name matching reads
natural language ('reviews costs' names review_costs), and the truth it compares with comes from
the reference catalogue (activity -> task, persona -> tasks) and, on synthetic data, ground truth.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Task verbs whose inflections do not start with the verb itself ('sets up' for setup).
_VERB_STEMS = {"setup": "set"}
_STEM_LENGTH = 5
# Product-like tokens: hyphenated or dotted names, CamelCase, ALLCAPS and letter-digit mixes.
_PRODUCT_LIKE = re.compile(r"\b(?:[A-Za-z]+[-.][A-Za-z0-9][\w.-]*|[a-z]+[A-Z]\w*|[A-Z]{2,}\w*|[A-Za-z]+\d\w*)\b")
_DATE_OR_TIME = re.compile(r"^\d|^\d{1,2}:\d{2}")
_WORD = re.compile(r"[a-z0-9]+")
# 'name (page, page)': the notation says name is a service whose pages follow.
_SERVICE_WITH_PAGES = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)\s*\(([^()]*)\)")


@dataclass(frozen=True)
class Catalogue:
    """Services, 'service;page' activities and tasks of the site, and the tasks of each true persona."""

    activity_task: Mapping[str, str]  # 'service;page' -> task ('' when unmapped)
    persona_tasks: Mapping[str, frozenset[str]]

    @property
    def services(self) -> frozenset[str]:
        return frozenset(a.split(";", 1)[0] for a in self.activity_task)

    @property
    def tasks(self) -> frozenset[str]:
        return frozenset(t for t in self.activity_task.values() if t)

    def task_services(self, tasks: Iterable[str]) -> frozenset[str]:
        wanted = set(tasks)
        return frozenset(a.split(";", 1)[0] for a, t in self.activity_task.items() if t in wanted)


@dataclass(frozen=True)
class Named:
    """What one text names."""

    services: frozenset[str]
    pages: frozenset[str]  # 'service;page'
    tasks: frozenset[str]
    unknown: frozenset[str]  # product-like names outside the catalogue


def _stem(word: str) -> str:
    return _VERB_STEMS.get(word, word)[:_STEM_LENGTH]


def _names_task(words: set[str], task: str) -> bool:
    """A task is named when the text holds it literally or a word starting like each of its parts."""
    stems = {w[:_STEM_LENGTH] for w in words}
    return task in words or all(_stem(part) in stems for part in task.split("_"))


def _whole(name: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def _page_of(service: str, page: str, lowered: str, services: frozenset[str]) -> bool:
    """The page is written after the service in the same clause, with no other named service between them.

    In 'rds (backups), polardb (clusters)' backups is rds's page, not polardb's.
    """
    pattern = rf"(?<![\w-]){re.escape(service)}(?![\w-])([^.;:]*?)(?<![\w-]){re.escape(page)}(?![\w-])"
    return any(not any(_whole(other, m.group(1)) for other in services if other != service)
               for m in re.finditer(pattern, lowered))


def _slug(name: str) -> str:
    return name.lower().replace("-", "_")


def named_entities(text: str, catalogue: Catalogue) -> Named:
    """Services (whole names), pages (a catalogue page written after its service), tasks, unknown names."""
    lowered = text.lower()
    services = frozenset(s for s in catalogue.services if _whole(s, lowered))
    pages = {activity for activity in catalogue.activity_task
             if (parts := activity.split(";", 1))[0] in services and parts[1] != parts[0]
             and _page_of(parts[0], parts[1], lowered, services)}
    words = set(_WORD.findall(lowered.replace("-", " ")))
    tasks = frozenset(t for t in catalogue.tasks if _names_task(words, t))
    known = {s for s in catalogue.services} | {a.split(";", 1)[1] for a in catalogue.activity_task}
    # A task written as a slug ('setup-environment') is that task, named once, not also an unknown product.
    unknown = frozenset(m for m in _PRODUCT_LIKE.findall(text)
                        if m.lower() not in known and not _DATE_OR_TIME.match(m) and _slug(m) not in catalogue.tasks)
    return Named(services, frozenset(pages), tasks, unknown | _invented_services(text, catalogue))


def _invented_services(text: str, catalogue: Catalogue) -> frozenset[str]:
    """Names written as a service with catalogue pages after them that are no service: 'monitorer (clusters)'.

    Such a name is no product-like token (one plain word), so without this it counted as no claim at all.
    """
    pages = {a.split(";", 1)[1] for a in catalogue.activity_task}
    return frozenset(m.group(1) for m in _SERVICE_WITH_PAGES.finditer(text)
                     if m.group(1).lower() not in catalogue.services
                     and any(item.strip().lower() in pages for item in m.group(2).split(",")))


def unsupported_share(named: Named, evidence_activities: Iterable[str], evidence_tasks: Iterable[str]) -> tuple[int, int]:
    """(unsupported, total) named entities: services, pages and tasks outside the evidence, and every unknown name."""
    activities = set(evidence_activities)
    services = {a.split(";", 1)[0] for a in activities}
    tasks = set(evidence_tasks)
    unsupported = (len(named.services - services) + len(named.pages - activities) + len(named.tasks - tasks)
                   + len(named.unknown))
    total = len(named.services) + len(named.pages) + len(named.tasks) + len(named.unknown)
    return unsupported, total


def precision_recall_f1(named: set[str], true: set[str]) -> dict[str, float]:
    """Of what is named, the share that is true; of what is true, the share named (0 when nothing is named)."""
    hit = len(named & true)
    precision = hit / len(named) if named else 0.0
    recall = hit / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def identified_persona(label: str, catalogue: Catalogue) -> str | None:
    """The true persona a label points at: most of its tasks (then services) named; None when it names none."""
    named = named_entities(label, catalogue)
    words = set(_WORD.findall(label.lower().replace("-", " ")))

    def support(persona: str) -> tuple[float, float]:
        tasks = catalogue.persona_tasks[persona]
        by_name = float(all(part in words for part in persona.split("_")))
        return (by_name + len(named.tasks & tasks) / len(tasks),
                len(named.services & catalogue.task_services(tasks)) / max(1, len(catalogue.task_services(tasks))))

    scored = {p: support(p) for p in catalogue.persona_tasks}
    best = max(scored, key=lambda p: (scored[p], p), default=None)
    return best if best is not None and scored[best] > (0.0, 0.0) else None


def judge_user(
    personas: Sequence[tuple[str, str]], true_personas: Sequence[str], catalogue: Catalogue
) -> dict[str, float]:
    """Task and service precision/recall/F1 of a user's (label, description) personas, and the share of labels
    that identify one of the user's true personas."""
    texts = [f"{label}: {description}" for label, description in personas]
    named = [named_entities(t, catalogue) for t in texts]
    true_tasks = set().union(*(catalogue.persona_tasks.get(p, frozenset()) for p in true_personas))
    scores = {f"task_{k}": v for k, v in precision_recall_f1(set().union(*(n.tasks for n in named)), true_tasks).items()}
    scores.update({f"service_{k}": v for k, v in precision_recall_f1(
        set().union(*(n.services for n in named)), set(catalogue.task_services(true_tasks))).items()})
    labels = [identified_persona(label, catalogue) for label, _ in personas]
    scores["label_identifies_true_persona"] = (sum(p in true_personas for p in labels) / len(labels)) if labels else 0.0
    return scores
