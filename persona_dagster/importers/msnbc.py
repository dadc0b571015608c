"""Import the UCI msnbc.com 1999-09-28 page-category sequences into one landing file.

Mapping: one user per sequence line, user_id = session_id = "msnbc-<k>" (k = 1-based user
index in the file, kept when sampling), service = page = the category name, action =
"view", event_id = "msnbc-<k>-<position>". The log has no times, so ts = 1999-09-28T00:00:00Z
plus the 1-based visit position in seconds; positions past 86,399 (none in the real file,
whose longest sequence is 14,795) share the day's last second so every event stays in its
day, and the summary counts them as "clamped".

Visits that cannot be mapped (a non-numeric or out-of-range category id) and empty
sequence lines go to a rejects CSV (line, reason, text); the other visits of that user keep
their positions, so event ids and times do not shift.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona_dagster.importers.arrow_columns import (
    SECONDS_PER_DAY,
    day_seconds_ts,
    decode_codes,
    join_text,
    parse_whole_numbers,
)
from persona_dagster.importers.landing_output import default_rejects_path, event_table, write_days, write_rejects
from persona_dagster.importers.source import SHARED_DATA_DIR, ImportSourceError, require_source

DEFAULT_SRC = SHARED_DATA_DIR / "msnbc" / "msnbc990928.zip"
LANDING_NAME = "msnbc"
DAY = dt.date(1999, 9, 28)
_SEQUENCES_MARKER = "% Sequences"
# The real header is 7 lines; a file whose marker is not near the top is not this format.
_MAX_HEADER_LINES = 20


def import_msnbc(
    src: str | Path,
    landing_root: str | Path,
    fmt: str = "parquet",
    limit_users: int | None = None,
    seed: int | None = None,
    rejects_path: Path | None = None,
) -> dict[str, object]:
    """Convert msnbc990928 (.zip or .seq) into <landing>/dt=1999-09-28/msnbc.<fmt>; returns counts.

    limit_users keeps the first N users, or with seed a deterministic sample of N users.
    """
    started = time.perf_counter()
    if limit_users is not None and limit_users < 1:
        raise ValueError(f"limit_users must be a positive number of users, got {limit_users}")
    if seed is not None and limit_users is None:
        raise ValueError("a seed samples limit_users users (--limit-users); give limit_users too")
    src = require_source(src)
    landing_root = Path(landing_root)
    rejects_path = rejects_path or default_rejects_path(landing_root, LANDING_NAME)
    with _open_sequences(src) as fh:
        categories, first_line, users = _read_header(src, fh)
        lines, user_numbers = _select_users(users, limit_users, seed)
    visits = _Visits.parse(lines, categories)
    rejected = write_rejects(rejects_path, _rejects(visits, user_numbers + first_line - 1, len(categories)))
    events, days = _events(visits, user_numbers)
    paths = write_days(landing_root, events, days, fmt, LANDING_NAME)
    return {
        "source": str(src),
        "landing_root": str(landing_root),
        "format": fmt,
        "rows": events.num_rows,
        "days": len(paths),
        "users": len(lines),
        "rejected": rejected,
        "rejects_path": str(rejects_path),
        "clamped": int((visits.position[visits.good] >= SECONDS_PER_DAY).sum()),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _select_users(users: Iterator[str], limit: int | None, seed: int | None) -> tuple[list[str], np.ndarray]:
    """(user lines, their 1-based user numbers): all, the first `limit`, or a seeded sample of `limit`."""
    lines = list(islice(users, limit if seed is None else None))
    numbers = np.arange(1, len(lines) + 1)
    if seed is not None and limit is not None and limit < len(lines):
        picked = np.sort(np.random.default_rng(seed).choice(len(lines), size=limit, replace=False))
        return [lines[i] for i in picked], numbers[picked]
    return lines, numbers


@dataclass(frozen=True)
class _Visits:
    """Every visit token of the selected users, flattened, with its owner and 1-based position."""

    tokens: pa.Array
    owner: np.ndarray  # index into the selected users
    position: np.ndarray
    names: pa.Array
    good: np.ndarray
    lengths: np.ndarray  # visits per user

    @classmethod
    def parse(cls, lines: list[str], categories: dict[int, str | None]) -> _Visits:
        trimmed = pc.utf8_trim_whitespace(pa.array(lines, pa.string()))
        # Null, not "", for an empty line: splitting "" would yield one empty visit.
        lists = pc.utf8_split_whitespace(pc.if_else(pc.equal(trimmed, ""), None, trimmed))
        lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy()
        tokens = lists.flatten()
        starts = np.repeat(lists.offsets.to_numpy()[:-1], lengths)
        names, good = decode_codes(*parse_whole_numbers(tokens), categories)
        owner = np.repeat(np.arange(len(lines)), lengths)
        return cls(tokens, owner, np.arange(len(tokens)) - starts + 1, names, good, lengths)


def _rejects(visits: _Visits, file_lines: np.ndarray, n_categories: int) -> list[tuple[int, str, str]]:
    """(file line, reason, text) for empty user lines and unmappable visits, in file order."""
    empty = np.flatnonzero(visits.lengths == 0)
    rejects = [(int(file_lines[u]), "empty sequence: a user line with no visits", "") for u in empty]
    for i in np.flatnonzero(~visits.good):
        token = visits.tokens[i].as_py()
        reason = f"visit {visits.position[i]}: category id {token!r} is not one of 1..{n_categories}"
        rejects.append((int(file_lines[visits.owner[i]]), reason, token))
    return sorted(rejects)


def _events(visits: _Visits, user_numbers: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """The landing events of the mappable visits, and their day."""
    keep = pa.array(visits.good)
    position = visits.position[visits.good]
    per_user = join_text("msnbc-", pc.cast(pa.array(user_numbers), pa.string()))
    user_ids = per_user.take(pa.array(visits.owner[visits.good]))
    rows = len(position)
    days = np.full(rows, np.datetime64(DAY, "D"))
    events = event_table({
        "event_id": join_text(user_ids, "-", pc.cast(pa.array(position), pa.string())),
        "user_id": user_ids,
        "session_id": user_ids,
        "ts": day_seconds_ts(days, np.minimum(position, SECONDS_PER_DAY - 1)),
        "service": visits.names.filter(keep),
        "page": visits.names.filter(keep),
        "country": pa.nulls(rows, pa.string()),
        "city": pa.nulls(rows, pa.string()),
        "billing_tier": pa.nulls(rows, pa.string()),
        "action": pa.repeat("view", rows),
    })  # fmt: skip
    return events, days


@contextmanager
def _open_sequences(src: Path) -> Iterator[IO[str]]:
    """A text stream of the .seq file, read straight out of the zip when src is one."""
    if not zipfile.is_zipfile(src):
        with open(src, encoding="utf-8", errors="replace") as fh:
            yield fh
        return
    with zipfile.ZipFile(src) as archive:
        # macOS zips carry __MACOSX/._<name> resource forks that also end in .seq.
        members = [n for n in archive.namelist() if n.endswith(".seq") and not n.startswith("__MACOSX/")]
        if len(members) != 1:
            raise ImportSourceError(src, None, f"expected exactly one .seq file in the zip, found {members}")
        with archive.open(members[0]) as raw:
            yield io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def _read_header(src: Path, fh: IO[str]) -> tuple[dict[int, str | None], int, Iterator[str]]:
    """(category id -> name, file line of user 1, the user lines) from an open .seq stream."""
    header: list[str] = []
    for line in islice(fh, _MAX_HEADER_LINES):
        header.append(line.strip())
        if line.startswith(_SEQUENCES_MARKER):
            break
    else:
        raise ImportSourceError(
            src, len(header), f"no {_SEQUENCES_MARKER!r} line in the first {_MAX_HEADER_LINES} lines; not a .seq file"
        )
    names = [line for line in header if line and not line.startswith("%")]
    if len(names) != 1 or len(set(names[0].split())) != len(names[0].split()):
        raise ImportSourceError(
            src, len(header), f"expected one line of distinct category names before this one, got {names}"
        )
    categories: dict[int, str | None] = dict(enumerate(names[0].split(), start=1))
    line_number = len(header)
    for line in fh:  # blank lines between the marker and the first user
        line_number += 1
        if line.strip():
            return categories, line_number, chain([line], fh)
    return categories, line_number + 1, iter(())
