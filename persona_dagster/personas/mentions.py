"""Reading names out of free text: tokens, crude stems, catalogue-name spans, product-like mentions.

A persona is written by a language model, so a name arrives in any case and spacing form
("MaxCompute", "Function Compute", "cost explorer"), in inflected phrases ("builds data pipelines"
for build_data_pipeline), or is invented ("SuperMetrics Pro"). Catalogue names are matched by
their compact form (lowercase letters and digits) or by their word stems; anything left that looks
like a product name (CamelCase, letters with digits, identifiers, acronyms, capitalised words inside
a sentence, quoted names) is an entity the catalogue does not know.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-_;][A-Za-z0-9]+)*(?:'s)?")
_SENTENCE_END = re.compile(r"[.!?:;\n]+(?=\s|$)|\n")
_PARTS = re.compile(r"[-_;\s]+")
_QUOTED = re.compile(r"[\"“”`]([^\"“”`]{2,40})[\"“”`]")
_CAMEL = re.compile(r"[a-z][A-Z]")
_ORDINAL_OR_CLOCK = re.compile(r"^\d+(?:st|nd|rd|th|am|pm|h|x|k|m|s|d)$", re.IGNORECASE)
_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("es", ""), ("s", ""), ("ing", ""), ("ed", ""), ("e", ""))
# Agent nouns name who does a task ('cost reviewer', 'database manager', 'data analyst'): read as their verb.
_AGENT_SUFFIXES = (("ers", ""), ("er", ""), ("ors", ""), ("or", ""), ("ysts", "yz"), ("yst", "yz"))
MAX_NAME_TOKENS = 4


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A crude suffix-stripping stem: 'pipelines'/'pipeline' -> 'pipelin', 'analyses'/'analyze' -> 'analys'."""
    w = word.lower().removesuffix("'s")
    for suffix, replacement in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3 and not (suffix == "s" and w.endswith("ss")):
            w = w[: len(w) - len(suffix)] + replacement
            break
    return w.replace("yz", "ys")


def verb_stems(word: str) -> set[str]:
    """stem(word), and for an agent noun ('reviewer', 'auditor', 'analyst') the stem of its verb too."""
    found = {stem(word)}
    w = word.lower().removesuffix("'s")
    for suffix, replacement in _AGENT_SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 4:
            found.add(stem(w[: len(w) - len(suffix)] + replacement))
            break
    return found


# Capitalised or shaped like a name, yet generic: roles, formats and units, not products.
GENERIC_NAMES = frozenset({
    "i", "ai", "ml", "it", "ok", "id", "ids", "ui", "cli", "api", "apis", "sql", "etl", "bi", "faq", "cpu", "gpu",
    "ip", "ips", "ssl", "tls", "http", "https", "url", "utc", "saas", "paas", "iaas", "devops", "finops", "mlops",
    "dataops", "secops", "sre", "cloud", "console", "internet", "web",
})
# Role and domain words a writer may capitalise ("a Machine Learning Practitioner"); compared by stem.
DOMAIN_WORDS = frozenset(stem(w) for w in (
    "engineer", "manager", "admin", "administrator", "developer", "analyst", "scientist", "architect", "practitioner",
    "user", "owner", "specialist", "newcomer", "beginner", "operator", "lead", "expert", "professional", "enthusiast",
    "data", "machine", "learning", "security", "network", "networking", "database", "operations", "finance", "cost",
    "team", "infrastructure", "platform", "site", "reliability", "production", "persona",
))
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)
# Words Title Case leaves in lowercase.
TITLE_SMALL_WORDS = frozenset({"a", "an", "the", "and", "or", "but", "nor", "for", "on", "at", "to", "by", "in",
                               "of", "up", "as", "with", "from", "into", "over", "vs"})


def name_parts(name: str) -> list[str]:
    return [p for p in _PARTS.split(name.lower().removesuffix("'s")) if p]


@lru_cache(maxsize=1 << 16)
def compact(name: str) -> str:
    """'Function Compute', 'function-compute' and 'FunctionCompute' all give 'functioncompute'."""
    return "".join(ch for ch in "".join(name_parts(name)) if ch.isalnum())


@lru_cache(maxsize=1 << 16)
def stems(name: str) -> tuple[str, ...]:
    return tuple(stem(p) for p in name_parts(name))


@dataclass
class Token:
    text: str
    start: int
    end: int
    sentence: int
    initial: bool  # first token of its sentence
    used: bool = False


def tokenize(text: str) -> list[Token]:
    """Word tokens (identifiers with '-', '_' or ';' stay whole) with their sentence numbers."""
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]
    tokens, sentence, previous = [], 0, -1
    for m in _TOKEN.finditer(text):
        while sentence < len(ends) and ends[sentence] < m.start():
            sentence += 1
        tokens.append(Token(m.group(), m.start(), m.end(), sentence, sentence != previous))
        previous = sentence
    return tokens


class NameIndex:
    """Catalogue names by compact form and by stems, matched as the longest free span of tokens."""

    def __init__(self, names: Iterable[str], key=lambda name: name) -> None:
        self._by_compact: dict[str, str] = {}
        self._by_stems: dict[tuple[str, ...], str] = {}
        for name in sorted(names):
            self._by_compact.setdefault(compact(key(name)), name)
            # One-word names match exactly only: a service called 'support' is not every 'supports'.
            if len(name_parts(key(name))) > 1:
                self._by_stems.setdefault(stems(key(name)), name)

    def lookup(self, tokens: Sequence[Token]) -> str | None:
        joined = " ".join(t.text for t in tokens)
        return self._by_compact.get(compact(joined)) or self._by_stems.get(stems(joined))

    def take(self, tokens: list[Token], max_tokens: int = MAX_NAME_TOKENS) -> list[tuple[str, int, int]]:
        """(name, first, last) of each match, longest first from left to right; matched tokens become used."""
        found, i = [], 0
        while i < len(tokens):
            for n in range(min(max_tokens, len(tokens) - i), 0, -1):
                span = tokens[i: i + n]
                if any(t.used for t in span) or len({t.sentence for t in span}) > 1:
                    continue
                name = self.lookup(span)
                if name is not None:
                    for t in span:
                        t.used = True
                    found.append((name, i, i + n - 1))
                    i += n - 1
                    break
            i += 1
        return found


def take_stem_bags(tokens: Sequence[Token], names: Iterable[str], reusable: Sequence[Token] = ()) -> set[str]:
    """Names whose content-word stems all occur in one sentence, in any order ('builds data pipelines', 'data
    pipeline builder': an agent noun stands for its verb).

    A name of 3+ words may miss one, if what is there names no other ('builds pipelines', but not
    'deploys ML models' for train_ml_model, whose 'ml model' is deploy_ml_model's too). Tokens in
    `reusable` count though used (words of names of the same kind: 'trains and deploys ML models').
    """
    wanted = {name: {s for p, s in zip(name_parts(name), stems(name)) if p not in STOP_WORDS} for name in names}
    found = set()
    for sentence in sorted({t.sentence for t in tokens}):
        free = {s for t in tokens if t.sentence == sentence and (not t.used or t in reusable) for s in verb_stems(t.text)}
        for name, words in wanted.items():
            present = words & free
            if not words or not present:
                continue
            unique = not any(present <= other for n, other in wanted.items() if n != name)
            if present == words or (len(words) >= 3 and len(present) == len(words) - 1 and unique):
                # Bag words stay free: one verb may serve two tasks ('trains and deploys models').
                found.add(name)
    return found


def _strong(token: Token) -> bool:
    """Shaped like an identifier or product name wherever it stands."""
    word = token.text.removesuffix("'s")
    # Letters and digits in one part ('EC2', 'S3'), not across parts ('35-year-old').
    mixed = any(any(c.isalpha() for c in part) and any(c.isdigit() for c in part)
                and not _ORDINAL_OR_CLOCK.match(part) for part in word.split("-"))
    return bool(
        _CAMEL.search(word) or "_" in word or ";" in word or mixed
        or (len(word) >= 2 and word.isalpha() and word.isupper())
    )


def _capitalised(token: Token) -> bool:
    return token.text[:1].isupper() and any(c.islower() for c in token.text)


def _title_case_sentences(tokens: Sequence[Token]) -> set[int]:
    """Sentences (labels, headings) whose every content word is capitalised: capitals say nothing there."""
    titled = set()
    for sentence in {t.sentence for t in tokens}:
        words = [t for t in tokens if t.sentence == sentence and not t.used and t.text.isalpha()
                 and t.text.lower() not in TITLE_SMALL_WORDS]
        if len(words) >= 2 and all(_capitalised(t) for t in words):
            titled.add(sentence)
    return titled


def _ordinary(word: str, known_stems: frozenset[str]) -> bool:
    """A role or a word of the catalogue's own names ('Pipeline'), or its doer ('Builder'): not a product."""
    root = stem(word)
    doer = re.sub(r"(?:er|or)s?$", "", word.lower())
    return root in DOMAIN_WORDS or root in known_stems or (doer != word.lower() and stem(doer) in known_stems)


def _catalogue_like(word: str, known_stems: frozenset[str]) -> bool:
    """'Cloud-console', 'node-p': hyphenated like the catalogue's names, with a word of them, yet none of them.

    Catalogue names are taken (used up) before unknown names are looked for, so what is left here is not one.
    """
    parts = word.lower().split("-")
    return len(parts) > 1 and all(part.isalpha() for part in parts) and any(stem(part) in known_stems for part in parts)


def take_unknown_entities(text: str, tokens: list[Token], known_stems: frozenset[str] = frozenset()) -> set[str]:
    """Product-like mentions among the unused tokens, adjacent ones joined ('Alibaba Cloud'); they become used.

    known_stems are stems of the words the catalogue's names are made of.
    """
    titled = _title_case_sentences(tokens)

    def candidate(t: Token) -> bool:
        word = t.text.removesuffix("'s")
        if t.used or word.lower() in GENERIC_NAMES:
            return False
        if _strong(t) or _catalogue_like(word, known_stems):
            return True
        # A capitalised word opening a sentence, in a title-cased label or naming a role is grammar, not a name.
        return (_capitalised(t) and not t.initial and t.sentence not in titled
                and not _ordinary(word, known_stems))
    entities: set[str] = set()
    group: list[Token] = []
    for t in [*tokens, None]:
        adjacent = bool(group) and t is not None and group[-1].sentence == t.sentence and (
            text[group[-1].end: t.start].strip() == "")
        # A generic capitalised word may go on a name ('Grafana Cloud') but never starts one.
        if t is not None and (candidate(t) and (not group or adjacent) or (
                adjacent and not t.used and _capitalised(t) and t.text.lower() in GENERIC_NAMES)):
            group.append(t)
            continue
        if group:
            entities.add(" ".join(g.text.removesuffix("'s") for g in group))
            for g in group:
                g.used = True
        group = [t] if t is not None and candidate(t) else []
    for m in _QUOTED.finditer(text):
        inside = [t for t in tokens if m.start(1) <= t.start and t.end <= m.end(1)]
        if inside and not any(t.used for t in inside):
            entities.add(m.group(1).strip())
            for t in inside:
                t.used = True
    return entities
