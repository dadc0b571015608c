"""One leaderboard over every evaluation report: rows (dataset, task, metric, model, value, lo, hi, n).

Reads the reports as they are written (reports/recommendations.json, next_activity.json,
persona_induction.json, persona_drift.json) and the real-log reports of the benchmarks under
reports/real/<dataset>/, which share those shapes. lo/hi are the report's 95% interval where it
has one (None otherwise); n is the number of examples behind the figure where the report says it.
Paired differences appear as models named `<model>_minus_<other>`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

COLUMNS = ("dataset", "task", "metric", "model", "value", "lo", "hi", "n")
# The data dir's own data: the synthetic default unless a report names its dataset.
DEFAULT_DATASET = "default"
REAL_DIR = "real"
TASKS = ("service", "page")  # next-activity heads, as prefixes of comparison columns

Report = Mapping[str, Any]


def _number(value: Any) -> float | None:
    """A finite float, or None (bools, strings, NaN from an empty side are not figures)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _row(dataset: str, task: str, metric: str, model: str, value: Any, lo: Any = None, hi: Any = None,
         n: Any = None) -> Iterator[dict]:
    """At most one row: nothing when the value is not a finite number."""
    if (v := _number(value)) is not None:
        yield {"dataset": dataset, "task": task, "metric": metric, "model": model, "value": v,
               "lo": _number(lo), "hi": _number(hi), "n": None if n is None else int(n)}


def _interval(ci: Any) -> tuple[Any, Any]:
    return (ci[0], ci[1]) if isinstance(ci, list | tuple) and len(ci) == 2 else (None, None)


def recommendation_rows(report: Report, dataset: str) -> Iterator[dict]:
    """Hit@k per split and method (with intervals and paired differences), then cluster quality per embedding."""
    for split in report.get("splits", []):
        task = split.get("task") or f"new_service (seen_days={split['seen_days']})"
        for method, scores in split.items():
            if not (isinstance(scores, Mapping) and "hit@5" in scores):
                continue
            n = scores.get("n", split.get("scored_users"))
            for metric in sorted(k for k in scores if k.startswith("hit@") and "_" not in k):
                yield from _row(dataset, task, metric, method, scores[metric], *_interval(scores.get(f"{metric}_ci")), n)
            for key, diff in scores.items():
                if key.startswith("hit@") and "_minus_" in key and isinstance(diff, Mapping):
                    metric, other = key.split("_minus_", 1)
                    yield from _row(dataset, task, metric, f"{method}_minus_{other}", diff.get("mean"), diff.get("lo"),
                                    diff.get("hi"), diff.get("n"))
    # Bootstrap intervals over users (and paired differences to TF-IDF), where the report has them.
    intervals = report.get("clustering_intervals") or {}
    for row in report.get("clustering", []):
        for metric, value in row.items():
            if metric != "embedding" and row["embedding"] not in intervals.get(metric, {}):
                yield from _row(dataset, "segmentation", metric, row["embedding"], value)
    for metric, by_model in intervals.items():
        for model, v in by_model.items():
            yield from _row(dataset, "segmentation", metric, model, v.get("value"), v.get("lo"), v.get("hi"), v.get("n"))


def next_activity_rows(report: Report, dataset: str) -> Iterator[dict]:
    """Every comparison column per head (weighted F1 with its paired-bootstrap interval), differences, length ablation."""
    intervals = report.get("intervals") or {}
    for task in TASKS:
        per_model = intervals.get(task, {})
        # Every model of a head is scored on the same test examples.
        n = next((v["n"] for v in per_model.values() if "n" in v), report.get("n_test_examples"))
        for row in report.get("comparison", []):
            for key, value in row.items():
                if not key.startswith(f"{task}_"):
                    continue
                metric = key.removeprefix(f"{task}_")
                ci = per_model.get(row["model"], {}) if metric == report.get("headline_metric", "weighted_f1") else {}
                yield from _row(dataset, f"next_{task}", metric, row["model"], value, ci.get("lo"), ci.get("hi"), n)
        for model, v in per_model.items():
            if "_minus_" in model:
                yield from _row(dataset, f"next_{task}", report.get("headline_metric", "weighted_f1"), model,
                                v.get("value"), v.get("lo"), v.get("hi"), v.get("n"))
    for row in (report.get("length_ablation") or {}).get("rows", []):
        model = f"sessionbert_max_len_{row['max_len']}"
        for task in TASKS:
            yield from _row(dataset, f"next_{task}", "weighted_f1", model, row.get(f"{task}_weighted_f1"))
        yield from _row(dataset, "masked_lm", "heldout_perplexity", model, row.get("heldout_perplexity"))


def persona_induction_rows(report: Report, dataset: str) -> Iterator[dict]:
    """Per writer every metric with its interval and n; Hit@k on new items as its own task; paired differences."""
    for row in report.get("writers", []):
        for metric, value in row.items():
            if metric == "writer" or metric.endswith(("_ci", "_n")):
                continue
            task = "future_items" if metric.startswith("hit@") else "persona_induction"
            yield from _row(dataset, task, metric, row["writer"], value, *_interval(row.get(f"{metric}_ci")),
                            row.get(f"{metric}_n"))
    for model, metrics in (report.get("differences") or {}).items():
        for metric, v in metrics.items():
            task = "future_items" if metric.startswith("hit@") else "persona_induction"
            yield from _row(dataset, task, metric, model, v.get("mean"), v.get("lo"), v.get("hi"), v.get("n"))


def persona_drift_rows(report: Report, dataset: str) -> Iterator[dict]:
    """Switch-detection precision / recall / F1 (no intervals in the report); n = the detections or switches counted."""
    m = report.get("metrics") or {}
    n = {"precision": (m.get("true_positives") or 0) + (m.get("false_positives") or 0),
         "recall": (m.get("true_positives") or 0) + (m.get("false_negatives") or 0), "f1": m.get("evaluated_users")}
    for metric in ("precision", "recall", "f1"):
        yield from _row(dataset, "persona_switch_detection", metric, "persona_drift", m.get(metric), n=n[metric])


PARSERS: dict[str, Callable[[Report, str], Iterator[dict]]] = {
    "recommendations": recommendation_rows,
    "next_activity": next_activity_rows,
    "persona_induction": persona_induction_rows,
    "persona_drift": persona_drift_rows,
}


def _sort_key(row: dict) -> tuple:
    # Datasets, tasks and metrics grouped; within a group the best figure first, differences last.
    return (row["dataset"] != DEFAULT_DATASET, row["dataset"], row["task"], row["metric"],
            "_minus_" in row["model"], -row["value"], row["model"])


def leaderboard_rows(reports: Mapping[str, Mapping[str, Report]]) -> list[dict]:
    """{dataset: {report name: report}} -> the sorted rows; report names without a parser are left out."""
    rows = [row for dataset, named in reports.items() for name, report in named.items() if name in PARSERS
            for row in PARSERS[name](report, dataset)]
    return sorted(rows, key=_sort_key)


def _dataset_of(report: Report, fallback: str) -> str:
    described = report.get("dataset")
    return described.get("name", fallback) if isinstance(described, Mapping) else fallback


def read_reports(reports_dir: Path) -> tuple[dict[str, dict[str, Report]], list[str]]:
    """({dataset: {name: report}}, the files read): reports/<name>.json and reports/real/<dataset>/<name>.json."""
    reports_dir = Path(reports_dir)
    found: dict[str, dict[str, Report]] = {}
    sources = []
    candidates = [(p, DEFAULT_DATASET) for p in sorted(reports_dir.glob("*.json"))]
    candidates += [(p, p.parent.name) for p in sorted((reports_dir / REAL_DIR).glob("*/*.json"))]
    for path, fallback in candidates:
        if path.stem not in PARSERS:
            continue
        report = json.loads(path.read_text())
        found.setdefault(_dataset_of(report, fallback), {})[path.stem] = report
        sources.append(str(path.relative_to(reports_dir)))
    return found, sources


def build_leaderboard(reports_dir: Path) -> dict[str, Any]:
    """The leaderboard report body: columns, rows, and which report files they come from."""
    reports, sources = read_reports(reports_dir)
    return {"columns": list(COLUMNS), "rows": leaderboard_rows(reports), "sources": sources,
            "datasets": sorted(reports, key=lambda d: (d != DEFAULT_DATASET, d))}
