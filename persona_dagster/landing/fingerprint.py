"""A fingerprint of a set of landed files: changes when a file is added, removed, replaced or rewritten."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple


class FileStamp(NamedTuple):
    """What a file looks like from outside: enough to notice a re-delivery without reading it."""

    name: str
    size: int
    mtime_ns: int


def fingerprint(stamps: Iterable[FileStamp]) -> str:
    """16 hex digits over (name, size, mtime) of every file, independent of listing order."""
    digest = hashlib.sha256()
    for stamp in sorted(stamps):
        digest.update(f"{stamp.name}\t{stamp.size}\t{stamp.mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def stamp_files(paths: Iterable[Path]) -> list[FileStamp]:
    """FileStamps of existing files; a file removed between listing and stat is left out."""
    stamps = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # replaced or deleted meanwhile: the next scan sees the new state
        stamps.append(FileStamp(path.name, stat.st_size, stat.st_mtime_ns))
    return stamps
