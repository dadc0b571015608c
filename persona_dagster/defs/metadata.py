"""Asset metadata helpers: plots embedded in Markdown, metric tables."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg


def image(png: Path, caption: str = "") -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (a data URI inside Markdown)."""
    data = base64.b64encode(Path(png).read_bytes()).decode()
    return dg.MetadataValue.md(f"![{caption}](data:image/png;base64,{data})")


def table(rows: Sequence[Mapping[str, object]], digits: int = 3) -> dg.MetadataValue:
    """Rows of dicts as a Markdown table (floats rounded)."""
    if not rows:
        return dg.MetadataValue.md("(no rows)")
    columns = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value: object) -> str:
        return f"{value:.{digits}f}" if isinstance(value, float) else ("" if value is None else str(value))

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))
