"""Import the UCI e-shop clothing 2008 clickstream into landing files, one per day.

Mapping: service = main category name, page = clothing model code, country = country
name, billing_tier = the price (a numeric amount), action = "view", session_id = the
file's session ID, user_id = "eshop-s<session>" (the data has no users), event_id =
"eshop-<session>-<order>". The log has dates but no clock times, so ts = the day plus the
click order in seconds (click 1 at 00:00:01): ordered within a session, inside the day.

Rows that cannot be mapped are not dropped: they go to a rejects CSV (line, reason, text)
beside the landing zone, because a row without a valid date or code has no day partition
or service to land under.
"""

from __future__ import annotations

import time
from pathlib import Path

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

DEFAULT_SRC = SHARED_DATA_DIR / "eshop_clothing_2008" / "e-shop_clothing_2008.csv"
LANDING_NAME = "eshop"
HEADER: tuple[str, ...] = (
    "year", "month", "day", "order(sells)", "country", "session id", "page 1 (main category)",
    "page 2 (clothing model)", "colour", "location", "model photography", "price", "price 2", "page",
)  # fmt: skip
CATEGORIES: dict[int, str | None] = {1: "trousers", 2: "skirts", 3: "blouses", 4: "sale"}
# From description.txt. 12 means "unidentified", so it lands as no country rather than a
# fake place; 43-47 are top-level domains, the only location those visitors have.
COUNTRIES: dict[int, str | None] = {
    1: "Australia", 2: "Austria", 3: "Belgium", 4: "British Virgin Islands", 5: "Cayman Islands",
    6: "Christmas Island", 7: "Croatia", 8: "Cyprus", 9: "Czech Republic", 10: "Denmark",
    11: "Estonia", 12: None, 13: "Faroe Islands", 14: "Finland", 15: "France", 16: "Germany",
    17: "Greece", 18: "Hungary", 19: "Iceland", 20: "India", 21: "Ireland", 22: "Italy",
    23: "Latvia", 24: "Lithuania", 25: "Luxembourg", 26: "Mexico", 27: "Netherlands", 28: "Norway",
    29: "Poland", 30: "Portugal", 31: "Romania", 32: "Russia", 33: "San Marino", 34: "Slovakia",
    35: "Slovenia", 36: "Spain", 37: "Sweden", 38: "Switzerland", 39: "Ukraine",
    40: "United Arab Emirates", 41: "United Kingdom", 42: "USA", 43: ".biz", 44: ".com",
    45: ".int", 46: ".net", 47: ".org",
}  # fmt: skip
_FIRST_DATA_LINE = 2  # line 1 is the header
_MODEL_CODE = r"^[A-Z]+[0-9]+$"
_AMOUNT = r"^[0-9]+(\.[0-9]+)?$"
# A row check: (ok mask over rows, the fields it reads, what is wrong when it fails).
Check = tuple[np.ndarray, tuple[str, ...], str]


def import_eshop(
    src: str | Path, landing_root: str | Path, fmt: str = "parquet", rejects_path: Path | None = None
) -> dict[str, object]:
    """Convert the e-shop CSV into <landing>/dt=2008-MM-DD/eshop.<fmt>; returns counts."""
    started = time.perf_counter()
    src = require_source(src)
    landing_root = Path(landing_root)
    rejects_path = rejects_path or default_rejects_path(landing_root, LANDING_NAME)
    body = _read_body(src)
    blank = pc.equal(pc.utf8_trim_whitespace(body), "").to_numpy(zero_copy_only=False)
    fields = pc.split_pattern(body, ";")
    widths = pc.list_value_length(fields).to_numpy()
    whole = (widths == len(HEADER)) & ~blank
    cols = _columns(fields.filter(pa.array(whole)))
    events, days, checks = _map_rows(cols)
    good = np.logical_and.reduce([ok for ok, _, _ in checks])
    rejects = [
        (int(i) + _FIRST_DATA_LINE, f"expected {len(HEADER)} ';'-separated fields, got {widths[i]}", body[i].as_py())
        for i in np.flatnonzero(~whole & ~blank)
    ]
    rejects += _failed_checks(body, np.flatnonzero(whole), good, checks, cols)
    rejected = write_rejects(rejects_path, sorted(rejects))
    kept = events.filter(pa.array(good))
    paths = write_days(landing_root, kept, days[good], fmt, LANDING_NAME)
    return {
        "source": str(src),
        "landing_root": str(landing_root),
        "format": fmt,
        "rows": kept.num_rows,
        "days": len(paths),
        "sessions": len(pc.unique(kept["session_id"])),
        "rejected": rejected,
        "rejects_path": str(rejects_path),
        "blank_lines": int(blank.sum()),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _read_body(src: Path) -> pa.Array:
    """The lines after a checked header, without line ends; body[i] is file line i + _FIRST_DATA_LINE."""
    lines = src.read_bytes().decode("utf-8-sig", errors="replace").split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    _check_header(src, lines[0])
    return pc.utf8_rtrim(pa.array(lines[1:], pa.string()), characters="\r")


def _check_header(src: Path, header: str) -> None:
    names = tuple(name.strip().lower() for name in header.rstrip("\r").split(";"))
    if names != HEADER:
        raise ImportSourceError(src, 1, f"expected the e-shop header {';'.join(HEADER)!r}, got {header.strip()!r}")


def _columns(fields: pa.ListArray) -> dict[str, pa.Array]:
    """Split fixed-width field lists into one string column per header name."""
    flat = pc.utf8_trim_whitespace(fields.flatten())
    width = len(HEADER)
    return {name: flat.take(pa.array(np.arange(k, len(flat), width))) for k, name in enumerate(HEADER)}



def _map_rows(cols: dict[str, pa.Array]) -> tuple[pa.Table, np.ndarray, list[Check]]:
    """Event columns for every row, their days, and the checks (ok mask, fields, problem) in report order."""
    year, year_ok = parse_whole_numbers(cols["year"])
    month, month_ok = parse_whole_numbers(cols["month"])
    day, day_ok = parse_whole_numbers(cols["day"])
    days, date_ok = _calendar_days(year, month, day, year_ok & month_ok & day_ok)
    order, order_ok = parse_whole_numbers(cols["order(sells)"])
    order_ok &= (order >= 1) & (order < SECONDS_PER_DAY)
    session, session_ok = parse_whole_numbers(cols["session id"])
    service, service_ok = decode_codes(*parse_whole_numbers(cols["page 1 (main category)"]), CATEGORIES)
    country, country_ok = decode_codes(*parse_whole_numbers(cols["country"]), COUNTRIES)
    model_ok = pc.match_substring_regex(cols["page 2 (clothing model)"], _MODEL_CODE).to_numpy(zero_copy_only=False)
    price_ok = pc.match_substring_regex(cols["price"], _AMOUNT).to_numpy(zero_copy_only=False)
    checks: list[Check] = [
        (date_ok, ("year", "month", "day"), "not a calendar date"),
        (order_ok, ("order(sells)",), f"click order must be a whole number in 1..{SECONDS_PER_DAY - 1}"),
        (session_ok, ("session id",), "session ID must be a whole number"),
        (service_ok, ("page 1 (main category)",), f"unknown main category code (known: {sorted(CATEGORIES)})"),
        (country_ok, ("country",), "unknown country code (known: 1..47)"),
        (model_ok, ("page 2 (clothing model)",), "clothing model code must be letters then digits, like A13"),
        (price_ok, ("price",), "price must be a non-negative amount"),
    ]
    session_text = pc.cast(pa.array(session), pa.string())
    order_text = pc.cast(pa.array(order), pa.string())
    rows = len(session)
    events = event_table({
        "event_id": join_text("eshop-", session_text, "-", order_text),
        "user_id": join_text("eshop-s", session_text),
        "session_id": session_text,
        # Rows failing a check are filtered out later; clamp so formatting never sees them out of range.
        "ts": day_seconds_ts(days, np.where(order_ok, order, 0)),
        "service": service,
        "page": cols["page 2 (clothing model)"],
        "country": country,
        "city": pa.nulls(rows, pa.string()),
        "billing_tier": cols["price"],
        "action": pa.repeat("view", rows),
    })  # fmt: skip
    return events, days, checks


def _calendar_days(
    year: np.ndarray, month: np.ndarray, day: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[D] days, ok mask); a date that rolls into the next month (2008-02-30) is not ok."""
    ok = ok & (year >= 1) & (year <= 9999) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    month_start = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days = month_start.astype("datetime64[D]") + np.where(ok, day - 1, 0).astype("timedelta64[D]")
    return days, ok & (days.astype("datetime64[M]") == month_start)


def _failed_checks(
    body: pa.Array, whole_rows: np.ndarray, good: np.ndarray, checks: list[Check], cols: dict[str, pa.Array]
) -> list[tuple[int, str, str]]:
    """(file line, reason, text) of each well-formed row (cols row j = body row whole_rows[j]) failing a check."""
    return [
        (int(whole_rows[j]) + _FIRST_DATA_LINE, _reason(checks, cols, j), body[int(whole_rows[j])].as_py())
        for j in np.flatnonzero(~good)
    ]


def _reason(checks: list[Check], cols: dict[str, pa.Array], row: int) -> str:
    """The first failed check of a row, quoting the offending fields."""
    _, names, problem = next(check for check in checks if not check[0][row])
    raw = ";".join(cols[name][row].as_py() for name in names)
    return f"{';'.join(names)} {raw!r}: {problem}"
