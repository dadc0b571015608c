"""Bad rows for testing the pipeline's quarantine: each one a corrupted copy ADDED beside the clean rows.

Clean rows are never changed or removed, so a file with bad rows holds exactly the clean rows of the
same seed without them, plus the added rows listed in ground_truth/malformed.csv. Added rows get a new
event_id (the day's numbering continues past the clean events), except duplicate_event rows, which are
exact copies of an earlier clean row of the same file. Kinds that cannot be expressed as column values
(a broken JSON line, an extra CSV field) are applied to the written text afterwards.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from persona_dagster.events.schema import format_ts

# The pipeline's quarantine reason codes.
MALFORMED_KINDS: tuple[str, ...] = (
    "unparseable_row",
    "unknown_columns",
    "missing_user_id",
    "unparseable_timestamp",
    "ts_outside_partition",
    "empty_service",
    "missing_page",
    "invalid_billing_tier",
    "duplicate_event",
)
# Kinds only some formats can carry; every other kind fits all three.
_FORMATS_OF_KIND: dict[str, tuple[str, ...]] = {
    "unparseable_row": ("jsonl",),
    "unknown_columns": ("csv", "jsonl"),
}
TEXT_EDIT_KINDS = frozenset(_FORMATS_OF_KIND)
CORRUPT_FILE_REASON = "unreadable_file"
BAD_TIMESTAMPS = ("not-a-time", "2026-13-45T99:00:00Z", "yesterday", "31/02/2026 25:61")
BAD_TIERS = ("Platinum", "Gold", "Enterprise", "Diamond")
EXTRA_KEY = "referrer"
EXTRA_VALUE = "https://console.example.com/home"
TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def kinds_for(fmt: str) -> tuple[str, ...]:
    """The malformed kinds a file of this format can carry."""
    return tuple(k for k in MALFORMED_KINDS if fmt in _FORMATS_OF_KIND.get(k, (fmt,)))


@dataclass(frozen=True)
class Injected:
    """A file's rows after injection: columns in file order and what each added row is."""

    columns: dict[str, np.ndarray]
    bad_rows: list[tuple[int, str]]  # (1-based record number, kind), by record number

    @property
    def text_edits(self) -> dict[int, str]:
        return {row: kind for row, kind in self.bad_rows if kind in TEXT_EDIT_KINDS}


def _corrupt(kind: str, row: dict[str, object], rng: np.random.Generator) -> None:
    """Give an added row its one problem (text-edit kinds stay clean here and are edited after writing)."""
    if kind == "missing_user_id":
        row["user_id"] = None if rng.random() < 0.5 else ""
    elif kind == "missing_page":
        row["page"] = None if rng.random() < 0.5 else ""
    elif kind == "empty_service":
        row["service"] = ""
    elif kind == "unparseable_timestamp":
        row["ts"] = BAD_TIMESTAMPS[rng.integers(len(BAD_TIMESTAMPS))]
    elif kind == "invalid_billing_tier":
        row["billing_tier"] = BAD_TIERS[rng.integers(len(BAD_TIERS))]
    elif kind == "ts_outside_partition":
        when = dt.datetime.strptime(str(row["ts"]), TS_FORMAT).replace(tzinfo=dt.timezone.utc)
        days = int(rng.integers(1, 4)) * (1 if rng.random() < 0.5 else -1)
        row["ts"] = format_ts((when + dt.timedelta(days=days)).timestamp())


def inject_malformed(
    columns: Mapping[str, np.ndarray],
    fmt: str,
    rate: float,
    rng: np.random.Generator,
    new_event_id: Callable[[int], str],
) -> Injected:
    """Add round(rate * rows) bad rows, each a copy of a random clean row placed after its original.

    new_event_id(k) names the k-th added row (duplicates keep their original's id instead).
    """
    n_clean = len(columns["event_id"])
    n_bad = round(rate * n_clean) if n_clean else 0
    kinds = kinds_for(fmt)
    names = list(columns)
    added: list[dict[str, object]] = []
    after = np.empty(n_bad, dtype=np.int64)
    added_kinds: list[str] = []
    for k in range(n_bad):
        kind = kinds[rng.integers(len(kinds))]
        source = int(rng.integers(n_clean))
        row = {c: columns[c][source] for c in names}
        if kind != "duplicate_event":
            row["event_id"] = new_event_id(k)
        _corrupt(kind, row, rng)
        added.append(row)
        added_kinds.append(kind)
        after[k] = rng.integers(source, n_clean)

    # Sort clean rows by their own position and added rows just after the clean row they follow.
    position = np.concatenate([np.arange(n_clean), after])
    is_added = np.concatenate([np.zeros(n_clean, dtype=np.int8), np.ones(n_bad, dtype=np.int8)])
    order = np.lexsort((np.arange(n_clean + n_bad), is_added, position))
    merged = {}
    for c in names:
        extra = np.empty(n_bad, dtype=object)
        extra[:] = [row[c] for row in added]
        merged[c] = np.concatenate([np.asarray(columns[c], dtype=object), extra])[order]
    record_of = np.empty(n_clean + n_bad, dtype=np.int64)
    record_of[order] = np.arange(1, n_clean + n_bad + 1)
    bad_rows = sorted((int(record_of[n_clean + k]), kind) for k, kind in enumerate(added_kinds))
    return Injected(columns=merged, bad_rows=bad_rows)


def apply_text_edits(path: Path, fmt: str, edits: Mapping[int, str]) -> None:
    """Edit records (1-based, header not counted) of a written CSV/JSONL file in place."""
    if not edits:
        return
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        for record, kind in edits.items():
            if kind != "unknown_columns":
                raise ValueError(f"{path}: CSV files cannot carry {kind!r} (record {record})")
            rows[record].append(EXTRA_VALUE)  # rows[0] is the header
        lines_out: list = rows
    elif fmt == "jsonl":
        with open(path, encoding="utf-8") as fh:
            lines_out = fh.read().splitlines()
        for record, kind in edits.items():
            line = lines_out[record - 1]
            if kind == "unknown_columns":
                lines_out[record - 1] = json.dumps({**json.loads(line), EXTRA_KEY: EXTRA_VALUE}, ensure_ascii=False)
            elif kind == "unparseable_row":
                lines_out[record - 1] = line[: len(line) // 2]  # an object never closed is never valid JSON
            else:
                raise ValueError(f"{path}: {kind!r} is not a text edit (record {record})")
    else:
        raise ValueError(f"{path}: {fmt} files take no text edits, got {dict(edits)}")
    tmp = path.with_name(f".{path.name}.edit")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        if fmt == "csv":
            csv.writer(fh).writerows(lines_out)
        else:
            fh.writelines(line + "\n" for line in lines_out)
    os.replace(tmp, path)


def write_corrupt_file(path: Path, rng: np.random.Generator) -> None:
    """Junk bytes under a .parquet name: no parquet magic at either end, so no reader accepts it."""
    junk = rng.integers(0, 256, size=2048, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(b"JUNK" + junk + b"JUNK")
    os.replace(tmp, path)
