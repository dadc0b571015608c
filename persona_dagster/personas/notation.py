"""The shared text notation: 'service (page, page)' phrases, read back by the claim parser."""

from __future__ import annotations

import re
from collections.abc import Sequence

# A service followed by a parenthesised page list, as written by service_phrase.
SERVICE_PAGES_PATTERN = re.compile(r"([^\W\d][\w\-;.]*)\s*\(([^()]*)\)")
_LIST_SEPARATOR = re.compile(r"\s*,\s*|\s+and\s+")


def join_list(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def split_list(text: str) -> list[str]:
    """Inverse of join_list."""
    return [part.strip() for part in _LIST_SEPARATOR.split(text) if part.strip()]


def split_page_token(token: str) -> tuple[str, str]:
    """'service;page' -> (service, page); a token without ';' is a page of an unnamed service."""
    service, sep, page = token.partition(";")
    return (service, page) if sep else ("", token)


def page_token(service: str, page: str) -> str:
    return f"{service};{page}"


def service_phrase(service: str, pages: Sequence[str]) -> str:
    """'cost-explorer (overview, forecast)', or the bare service when no page is named."""
    return f"{service} ({', '.join(pages)})" if pages else service


def services_with_pages(services: Sequence[str], pages: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Group 'service;page' tokens under their service, services in first-seen order."""
    grouped: dict[str, list[str]] = {s: [] for s in services}
    for token in pages:
        service, page = split_page_token(token)
        if service:
            grouped.setdefault(service, [])
            if page not in grouped[service]:
                grouped[service].append(page)
    return list(grouped.items())
