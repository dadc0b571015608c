"""Vectorised parsing and formatting of text columns shared by the importers."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SECONDS_PER_DAY = 86_400
# Digits only: a sign, a decimal point or an exponent in a code or a click order is a bad row.
_WHOLE_NUMBER = r"^[0-9]{1,15}$"


def parse_whole_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 values, ok mask) for a string column; rows that are not plain digits get ok=False."""
    trimmed = pc.utf8_trim_whitespace(values)
    ok = pc.fill_null(pc.match_substring_regex(trimmed, _WHOLE_NUMBER), False)
    numbers = pc.cast(pc.if_else(ok, trimmed, "0"), pa.int64())
    return numbers.to_numpy(zero_copy_only=False), ok.to_numpy(zero_copy_only=False)


def decode_codes(codes: np.ndarray, ok: np.ndarray, table: Mapping[int, str | None]) -> tuple[pa.Array, np.ndarray]:
    """(names, known mask): look integer codes up in a decoding table; unknown codes give known=False."""
    known = ok & np.isin(codes, np.fromiter(table, dtype=np.int64))
    lookup = pa.array([table.get(code) for code in range(max(table) + 1)], pa.string())
    return lookup.take(pa.array(np.where(known, codes, 0))), known


def day_seconds_ts(days: np.ndarray, seconds: np.ndarray) -> pa.Array:
    """ISO-8601 UTC strings (schema.format_ts's layout) for day + seconds since midnight, within the day."""
    if len(seconds) and (seconds.min() < 0 or seconds.max() >= SECONDS_PER_DAY):
        raise ValueError(f"seconds since midnight must lie in 0..{SECONDS_PER_DAY - 1}")
    moments = days.astype("datetime64[D]").astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    # Casting is ~10x faster than pc.strftime; it yields "YYYY-MM-DD HH:MM:SS".
    text = pc.replace_substring(pc.cast(pa.array(moments), pa.string()), " ", "T")
    return pc.binary_join_element_wise(text, "Z", "")


def join_text(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string columns and literals."""
    return pc.binary_join_element_wise(*parts, "")
