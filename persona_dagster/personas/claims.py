"""Claims a persona text makes: services, pages, intents, frequencies, counts and times of day."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from persona_dagster.personas.evidence import DAILY, NIGHT, OCCASIONALLY, TIMES_OF_DAY, WEEKLY
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.memory_features import intent_term, page_term, service_term
from persona_dagster.personas.notation import SERVICE_PAGES_PATTERN, page_token, split_list, split_page_token

FREQUENCY_WORDS: dict[str, str] = {
    "daily": DAILY, "every day": DAILY, "each day": DAILY,
    "weekly": WEEKLY, "every week": WEEKLY, "each week": WEEKLY,
    "occasionally": OCCASIONALLY, "rarely": OCCASIONALLY, "now and then": OCCASIONALLY,
}
TIME_OF_DAY_WORDS: dict[str, str] = {
    **{word: name for name in TIMES_OF_DAY for word in (name, f"{name}s")}, "night": NIGHT, "nights": NIGHT,
}
_COUNT_PATTERN = re.compile(r"\b(\d+)\s+times\b")


@dataclass(frozen=True)
class ClaimVocabulary:
    """Names a claim can refer to: every service, page and task intent seen in any memory."""

    services: frozenset[str]
    pages: frozenset[str]
    task_intents: frozenset[str]

    @classmethod
    def of(cls, memories: Iterable[IntentMemory]) -> ClaimVocabulary:
        memories = list(memories)
        services = {s for m in memories for s in m.services}
        services |= {split_page_token(p)[0] for m in memories for p in m.pages} - {""}
        # A service-sourced intent is the service itself, so it is claimed as a service.
        pages = frozenset(p for m in memories for p in m.pages)
        return cls(frozenset(services), pages, frozenset(m.intent for m in memories if m.is_task))


@dataclass(frozen=True)
class Claims:
    """What a text asserts; each set member is one checkable claim."""

    services: frozenset[str] = field(default_factory=frozenset)
    pages: frozenset[str] = field(default_factory=frozenset)
    task_intents: frozenset[str] = field(default_factory=frozenset)
    frequencies: frozenset[str] = field(default_factory=frozenset)
    counts: frozenset[int] = field(default_factory=frozenset)
    times_of_day: frozenset[str] = field(default_factory=frozenset)

    @property
    def n_claims(self) -> int:
        return sum(len(s) for s in (self.services, self.pages, self.task_intents, self.frequencies,
                                    self.counts, self.times_of_day))

    def terms(self) -> list[str]:
        """The named services, pages and intents as embedding terms (see memory_features)."""
        return sorted(
            [service_term(s) for s in self.services] + [page_term(p) for p in self.pages]
            + [intent_term(i) for i in self.task_intents]
        )


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Names contain '-' and '_', so a name boundary is neither a word character nor '-'.
    return re.compile(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])")


def _find_words(text: str, words: dict[str, str]) -> frozenset[str]:
    return frozenset(value for word, value in words.items() if _phrase_pattern(word).search(text))


def _take_names(text: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Find names longest first, blanking each match so a shorter name cannot match inside it."""
    found: dict[str, str] = {}
    for name in sorted(names, key=lambda n: (-len(n), n)):
        pattern = _phrase_pattern(name)
        if pattern.search(text):
            found[name.lower()] = name
            text = pattern.sub(" ", text)
    return text, found


def extract_claims(text: str, vocabulary: ClaimVocabulary) -> Claims:
    """Parse a persona text; pages are claimed only as 'service (page, ...)' after a known service."""
    lowered = text.lower()
    services_by_lower = {s.lower(): s for s in vocabulary.services}
    pages_by_lower = {p.lower(): p for p in vocabulary.pages}
    pages = set()
    for match in SERVICE_PAGES_PATTERN.finditer(lowered):
        service = services_by_lower.get(match.group(1).rstrip("."))
        if service is not None:
            # An unknown page under a known service is still a claim (an unsupported one).
            tokens = (page_token(service, page) for page in split_list(match.group(2)))
            pages.update(pages_by_lower.get(t.lower(), t) for t in tokens)
    # Page names may collide with service names; only the text outside page lists names services.
    outside = SERVICE_PAGES_PATTERN.sub(lambda m: f"{m.group(1)} ", lowered)
    outside, intents = _take_names(outside, sorted(vocabulary.task_intents))
    _, services = _take_names(outside, sorted(vocabulary.services))
    return Claims(
        services=frozenset(services.values()),
        pages=frozenset(pages),
        task_intents=frozenset(intents.values()),
        frequencies=_find_words(lowered, FREQUENCY_WORDS),
        counts=frozenset(int(n) for n in _COUNT_PATTERN.findall(lowered)),
        times_of_day=_find_words(lowered, TIME_OF_DAY_WORDS),
    )
