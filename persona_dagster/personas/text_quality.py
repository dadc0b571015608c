"""How much of a description is repetition or template boilerplate rather than content, each in [0, 1]."""

from __future__ import annotations

import re
from collections import Counter

from persona_dagster.personas.mentions import STOP_WORDS, tokenize

# Repeats count double: a text half made of repeats says nothing new.
REPETITION_WEIGHT = 2.0
# A content word used this often is natural; each use beyond it is a repeat.
FREE_USES = 2
# Spans that read as a form being filled in: the notation's page lists and raw identifiers, the old
# template's stock phrases, and filler that fits every persona.
BOILERPLATE_PATTERNS = tuple(re.compile(p, re.IGNORECASE) for p in (
    r"\([^()]*\)",
    r"\b\w+(?:_\w+)+\b",
    r"\b\w+;[\w-]+\b",
    r"\buser focused on\b",
    r"^\s*(?:works on|uses)\b",
    r"\b(?:various|a variety of|a wide range of|many different|all kinds of|several different)\b",
    r"\b(?:cloud|online|web) (?:services|products|tools)\b",
    r"\b(?:enthusiastic|passionate|tech-savvy|avid|dedicated)\b",
    r"\b(?:regularly|frequently|often) uses?\b",
))


def repetition(text: str) -> float:
    """Adjacent duplicate words, repeated bigrams and overused content words, per word (weighted, clipped)."""
    words = [t.text.lower() for t in tokenize(text)]
    if len(words) < 2:
        return 0.0
    adjacent = sum(a == b for a, b in zip(words, words[1:]))
    bigrams = list(zip(words, words[1:]))
    repeated_bigrams = len(bigrams) - len(set(bigrams))
    content = Counter(w for w in words if w not in STOP_WORDS)
    overused = sum(max(0, n - FREE_USES) for n in content.values())
    return min(1.0, REPETITION_WEIGHT * (adjacent + repeated_bigrams + overused) / len(words))


def boilerplate(text: str) -> float:
    """Share of the words that fall inside template spans (notation, stock phrases, generic filler)."""
    tokens = tokenize(text)
    if not tokens:
        return 0.0
    spans = [m.span() for p in BOILERPLATE_PATTERNS for m in p.finditer(text)]
    covered = sum(any(a <= t.start and t.end <= b for a, b in spans) for t in tokens)
    return covered / len(tokens)
