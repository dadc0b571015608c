"""The summarization baseline (and SFT teacher): a natural-language persona written from a cluster's evidence facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from persona_dagster.personas.evidence import EvidenceFacts
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.notation import join_list, service_phrase, split_page_token
from persona_dagster.personas.quality import Persona



@dataclass(frozen=True)
class WriterLimits:
    """How many services, task intents and pages per service a persona names at most."""

    services: int = 3
    intents: int = 2
    pages: int = 2


# Ever shorter personas of the same evidence, for a writer held to a length: pages go first (the quality
# score's coverage and the judge count services and tasks, not pages), then the third service, then the second.
SHORTER = (WriterLimits(), WriterLimits(pages=1), WriterLimits(pages=0), WriterLimits(services=2, pages=0),
           WriterLimits(services=1, intents=1, pages=0))
# Items seen in fewer memories than this share are noise clicks, not habits.
MIN_SUPPORT_SHARE = 0.3
# Task names are verb_object ('review_costs'); these verbs read badly with a plain -s / -er.
_THIRD_PERSON = {"setup": "sets up"}
_AGENT = {"setup": "setup specialist", "monitor": "monitor", "protect": "protector", "audit": "auditor",
          "migrate": "migrator", "analyze": "analyst"}
_UNCOUNTABLE = {"access", "data", "security", "ml"}
FREQUENCY_PHRASE = {"daily": "almost every day", "weekly": "every week", "occasionally": "now and then"}


def _frequent(counts: Counter[str], n_memories: int, limit: int) -> list[str]:
    """The most supported items above the noise share; at least the top one."""
    ranked = [item for item, _ in counts.most_common()]
    kept = [item for item in ranked if counts[item] >= MIN_SUPPORT_SHARE * n_memories]
    return (kept or ranked[:1])[:limit]


def _top_pages(facts: EvidenceFacts, service: str, limit: int) -> list[str]:
    split = {split_page_token(p): n for p, n in facts.pages.items()}
    pages = Counter({page: n for (owner, page), n in split.items() if owner == service})
    return [page for page, _ in pages.most_common(limit)] if limit else []


def _split_task(task: str) -> tuple[str, list[str]]:
    verb, *objects = task.split("_")
    return verb, objects


def _plural(word: str) -> str:
    return word if word in _UNCOUNTABLE or word.endswith("s") else word + "s"


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _object_phrase(objects: list[str]) -> str:
    return " ".join([*objects[:-1], _plural(objects[-1])]) if objects else ""


def _third_person(verb: str) -> str:
    if verb in _THIRD_PERSON:
        return _THIRD_PERSON[verb]
    return verb + ("es" if verb.endswith(("sh", "ch", "s", "x")) else "s")


def _agent(verb: str) -> str:
    if verb in _AGENT:
        return _AGENT[verb]
    return verb + ("r" if verb.endswith("e") else "er")


def task_activity(task: str) -> str:
    """'review_costs' -> 'reviews costs', 'setup_environment' -> 'sets up environments'; 'monitoring' -> 'works on monitoring'."""
    verb, objects = _split_task(task)
    if not objects:
        return f"works on {task}"
    return " ".join(filter(None, [_third_person(verb), _object_phrase(objects)]))


def task_role(task: str) -> str:
    """'build_data_pipeline' -> 'Data pipeline builder', 'monitoring' -> 'Monitoring user': who does this task."""
    verb, objects = _split_task(task)
    role = " ".join([*[_singular(o) for o in objects], _agent(verb)]) if objects else f"{task} user"
    return role[:1].upper() + role[1:]


def write_persona(evidence: Sequence[IntentMemory], limits: WriterLimits = WriterLimits()) -> Persona:
    """'<Role> focused on <s1> and <s2>: <Does task> in <s (pages)> ..., <how often>, mostly in the <tod>.'

    Only facts of the evidence are stated: services, pages, tasks, frequency and time of day.
    """
    facts = EvidenceFacts.of(evidence)
    services = _frequent(facts.services, facts.n_memories, limits.services)
    intents = _frequent(facts.task_intents, facts.n_memories, limits.intents) if facts.task_intents else []
    role = task_role(intents[0]) if intents else f"{services[0]} user"
    label = f"{role[:1].upper() + role[1:]} focused on {join_list(services[:2])}"
    used = join_list([service_phrase(s, _top_pages(facts, s, limits.pages)) for s in services])
    doing = join_list([task_activity(i) for i in intents])
    sentence = f"{doing[:1].upper() + doing[1:]} in {used}" if intents else f"Works in {used}"
    if facts.frequency:
        sentence += f", {FREQUENCY_PHRASE[facts.frequency]}"
    description = sentence + "."
    if facts.dominant_time_of_day:
        description += f" Most sessions are in the {facts.dominant_time_of_day}."
    return Persona(label, description, tuple(m.memory_id for m in evidence))


def write_persona_within(evidence: Sequence[IntentMemory], fits: Callable[[str], bool]) -> Persona:
    """The fullest persona (SHORTER, in order) whose text fits; the shortest one when none does."""
    for limits in SHORTER:
        persona = write_persona(evidence, limits)
        if fits(persona.text):
            return persona
    return persona
