"""A fingerprint of a set of landed files: changes when a file is added, removed, replaced or rewritten."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

# Files up to this size are also fingerprinted by content: reading them each sensor tick is cheap.
SMALL_FILE_BYTES = 64 * 1024


class FileStamp(NamedTuple):
    """What a file looks like from outside: enough to notice a re-delivery without reading a large file.

    mtime can be set back (`rsync -t`, `touch -r`) but ctime cannot: any write or utime moves it.
    """

    name: str
    size: int
    mtime_ns: int
    ctime_ns: int = 0
    content_sha256: str = ""  # small files only


def fingerprint(stamps: Iterable[FileStamp]) -> str:
    """16 hex digits over every field of every stamp, independent of listing order."""
    digest = hashlib.sha256()
    for stamp in sorted(stamps):
        digest.update(("\t".join(map(str, stamp)) + "\n").encode())
    return digest.hexdigest()[:16]


def stamp_files(paths: Iterable[Path]) -> list[FileStamp]:
    """FileStamps of existing files; a file removed between listing and stat is left out."""
    stamps = []
    for path in paths:
        try:
            stat = path.stat()
            content = hashlib.sha256(path.read_bytes()).hexdigest() if stat.st_size <= SMALL_FILE_BYTES else ""
        except FileNotFoundError:
            continue  # replaced or deleted meanwhile: the next scan sees the new state
        stamps.append(FileStamp(path.name, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, content))
    return stamps
