"""Claims a persona text makes: names (services, pages, tasks, unknown products), dates and habits.

The text may be the heuristic writer's 'service (page, ...)' notation or fluent prose from a language
model; both are read the same way (persona_dagster.personas.mentions). A product-like name the
catalogue does not know is a claim too, and one no evidence can support: a hallucination is never free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from persona_dagster.personas.evidence import DAILY, NIGHT, OCCASIONALLY, TIMES_OF_DAY, WEEKLY
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.memory_features import intent_term, page_term, service_term
from persona_dagster.personas.mentions import (
    NameIndex,
    Token,
    compact,
    name_parts,
    stem,
    take_stem_bags,
    take_unknown_entities,
    tokenize,
)
from persona_dagster.personas.notation import SERVICE_PAGES_PATTERN, page_token, split_list, split_page_token

FREQUENCY_WORDS: dict[str, str] = {
    "daily": DAILY, "every day": DAILY, "each day": DAILY,
    "weekly": WEEKLY, "every week": WEEKLY, "each week": WEEKLY,
    "occasionally": OCCASIONALLY, "rarely": OCCASIONALLY, "now and then": OCCASIONALLY,
}
TIME_OF_DAY_WORDS: dict[str, str] = {
    **{word: name for name in TIMES_OF_DAY for word in (name, f"{name}s")}, "night": NIGHT, "nights": NIGHT,
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_COUNT_PATTERN = re.compile(r"\b(\d+)\s+times\b")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_LIST_WORDS = frozenset({"and", "or"})


@dataclass(frozen=True)
class ClaimVocabulary:
    """Names a claim can refer to: every service, page and task intent seen in any memory (the catalogue)."""

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
    """What a text asserts; each set member is one checkable claim.

    A page without ';' is a page of no named service (supported by that page of any service);
    calendar holds ('date', 'YYYY-MM-DD'), ('year', y), ('month', 1-12) and ('weekday', 0-6).
    """

    services: frozenset[str] = field(default_factory=frozenset)
    pages: frozenset[str] = field(default_factory=frozenset)
    task_intents: frozenset[str] = field(default_factory=frozenset)
    frequencies: frozenset[str] = field(default_factory=frozenset)
    counts: frozenset[int] = field(default_factory=frozenset)
    times_of_day: frozenset[str] = field(default_factory=frozenset)
    calendar: frozenset[tuple[str, object]] = field(default_factory=frozenset)
    unknown_entities: frozenset[str] = field(default_factory=frozenset)

    @property
    def n_claims(self) -> int:
        return self.n_entities + sum(len(s) for s in (self.frequencies, self.counts, self.times_of_day))

    @property
    def n_entities(self) -> int:
        """Named things: services, pages, tasks, dates and names the catalogue does not know."""
        return sum(len(s) for s in (self.services, self.pages, self.task_intents, self.calendar,
                                    self.unknown_entities))

    def terms(self) -> list[str]:
        """The named services, service pages and intents as embedding terms (see memory_features)."""
        return sorted(
            [service_term(s) for s in self.services] + [page_term(p) for p in self.pages if ";" in p]
            + [intent_term(i) for i in self.task_intents]
        )


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Names contain '-' and '_', so a name boundary is neither a word character nor '-'.
    return re.compile(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])")


def _find_words(text: str, words: dict[str, str]) -> frozenset[str]:
    return frozenset(value for word, value in words.items() if _phrase_pattern(word).search(text))


def _word_stems(names: Iterable[str]) -> frozenset[str]:
    return frozenset(stem(part) for name in names for part in name_parts(name))


def _inside(tokens: list[Token], start: int, end: int) -> list[Token]:
    return [t for t in tokens if start <= t.start and t.end <= end]


def _calendar(tokens: list[Token]) -> set[tuple[str, object]]:
    """Dates, years, months and weekdays the text names ('May' only beside a number: it is also a verb)."""
    found: set[tuple[str, object]] = set()
    for i, t in enumerate(tokens):
        word, claim = t.text.removesuffix("'s"), None
        if _ISO_DATE.match(word):
            claim = ("date", word)
        elif _YEAR.match(word):
            claim = ("year", int(word))
        elif word in MONTHS and (word != "May" or (i + 1 < len(tokens) and tokens[i + 1].text.isdigit())):
            claim = ("month", MONTHS.index(word) + 1)
        elif word.lower().removesuffix("s") in WEEKDAYS:
            claim = ("weekday", WEEKDAYS.index(word.lower().removesuffix("s")))
        if claim is not None:
            found.add(claim)
            t.used = True
    return found


@dataclass(frozen=True)
class _Indexes:
    """The vocabulary's lookups, built once per vocabulary: a scorer reads thousands of texts with one."""

    tasks: NameIndex
    services: NameIndex
    multi_word_pages: NameIndex
    one_word_pages: NameIndex
    page_tokens: dict[str, set[str]]  # page name -> 'service;page' tokens
    page_names: frozenset[str]  # lower-cased
    services_by_compact: dict[str, str]
    pages_by_lower: dict[str, str]
    known_stems: frozenset[str]


@lru_cache(maxsize=16)
def _indexes(vocabulary: ClaimVocabulary) -> _Indexes:
    page_tokens: dict[str, set[str]] = {}
    for token in vocabulary.pages:
        page_tokens.setdefault(split_page_token(token)[1], set()).add(token)
    known = set(page_tokens) | vocabulary.services | vocabulary.task_intents
    return _Indexes(
        tasks=NameIndex(vocabulary.task_intents), services=NameIndex(vocabulary.services),
        multi_word_pages=NameIndex(n for n in page_tokens if len(name_parts(n)) > 1),
        one_word_pages=NameIndex(n for n in page_tokens if len(name_parts(n)) == 1),
        page_tokens=page_tokens, page_names=frozenset(n.lower() for n in page_tokens), services_by_compact={compact(s): s for s in vocabulary.services},
        pages_by_lower={p.lower(): p for p in vocabulary.pages}, known_stems=_word_stems(known),
    )


def _notation_pages(text: str, tokens: list[Token], index: _Indexes) -> tuple[set[str], set[str]]:
    """(pages listed as 'service (page, ...)' after a known service, names written so that are no service).

    The listed words after a known service are used up. A name that is no service, followed by a list holding
    a catalogue page ('data-integration (overview)', 'console (favorites)'), claims a service that does not
    exist: it is an unknown name, and its words are used up so they claim nothing else.
    """
    pages, invented = set(), set()
    for match in SERVICE_PAGES_PATTERN.finditer(text):
        head = match.group(1).rstrip(".")
        service = index.services_by_compact.get(compact(head))
        listed = split_list(match.group(2))
        if service is not None:
            # An unknown page under a known service is still a claim (an unsupported one).
            pages.update(index.pages_by_lower.get(t.lower(), t) for t in (page_token(service, p) for p in listed))
            for t in _inside(tokens, match.start(2), match.end(2)):
                t.used = True
        elif any(item.lower() in index.page_names for item in listed):
            invented.add(head)
            for t in _inside(tokens, match.start(1), match.start(1) + len(head)):
                t.used = True
    return pages, invented


def _prose_pages(tokens: list[Token], services: list[tuple[str, int, int]], index: _Indexes) -> set[str]:
    """Pages named in prose: multi-word names anywhere, one-word names only right after a service ('RDS instances')."""
    pages = set()
    mentioned = {name for name, _, _ in services}
    for name, _, _ in index.multi_word_pages.take(tokens):
        owners = {split_page_token(t)[0] for t in index.page_tokens[name]}
        # The page of the service named beside it, or of the only service that has it; else of no named one.
        named = [s for s in mentioned if s in owners]
        owner = named[0] if len(named) == 1 else (next(iter(owners)) if len(owners) == 1 else "")
        pages.add(page_token(owner, name) if owner else name)
    for service, _, last in services:
        j = last + 1
        while j < len(tokens) and tokens[j].sentence == tokens[last].sentence:
            if tokens[j].text.lower() in _LIST_WORDS:
                j += 1
                continue
            page = None if tokens[j].used else index.one_word_pages.lookup([tokens[j]])
            if page is None:
                break
            tokens[j].used = True
            pages.add(page_token(service, page))
            j += 1
    return pages


def extract_claims(text: str, vocabulary: ClaimVocabulary) -> Claims:
    """Parse a persona text: names first (longest, most specific first), then unknown product-like names."""
    index = _indexes(vocabulary)
    tokens = tokenize(text)
    lowered = text.lower()
    pages, invented_services = _notation_pages(text, tokens, index)
    calendar = _calendar(tokens)
    # Task names before services: 'cost management' is a task even where 'cost' is a service.
    spans = index.tasks.take(tokens)
    intents = {name for name, _, _ in spans}
    services = index.services.take(tokens)
    pages |= _prose_pages(tokens, services, index)
    in_tasks = [t for _, first, last in spans for t in tokens[first: last + 1]]
    intents |= take_stem_bags(tokens, vocabulary.task_intents, reusable=in_tasks)
    return Claims(
        services=frozenset(name for name, _, _ in services),
        pages=frozenset(pages),
        task_intents=frozenset(intents),
        frequencies=_find_words(lowered, FREQUENCY_WORDS),
        counts=frozenset(int(n) for n in _COUNT_PATTERN.findall(lowered)),
        times_of_day=_find_words(lowered, TIME_OF_DAY_WORDS),
        calendar=frozenset(calendar),
        unknown_entities=frozenset(invented_services | take_unknown_entities(text, tokens, index.known_stems)),
    )
