"""Machine-readable evaluation reports under <data dir>/reports/, comparable across runs."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any


def write_report(reports_dir: Path, name: str, payload: dict[str, Any]) -> Path:
    """reports/<name>.json (latest) plus a timestamped copy in reports/history/."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    body = json.dumps({"report": name, "created_at": stamp, **payload}, indent=2, sort_keys=True, default=str)
    reports_dir = Path(reports_dir)
    (reports_dir / "history").mkdir(parents=True, exist_ok=True)
    (reports_dir / "history" / f"{name}-{stamp}.json").write_text(body)
    latest = reports_dir / f"{name}.json"
    tmp = latest.with_name(f".{latest.name}.tmp")
    tmp.write_text(body)
    os.replace(tmp, latest)
    return latest
