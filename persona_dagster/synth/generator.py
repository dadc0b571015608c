"""Generate the synthetic clickstream: landing files, reference inputs and ground truth under one directory.

Layout written under out_dir (the data directory layout of persona_dagster.settings.DataPaths):
  landing/dt=YYYY-MM-DD/events.<fmt>      one file per day (events-000.<fmt>, ... when a day is split)
  reference/{activity_tasks,persona_tasks,personas,services}.csv   pipeline inputs
  ground_truth/{users,initial_services,adoptions,persona_switches,malformed,corrupt_files}.csv, events_truth.parquet
                                                          evaluation only (never read by the pipeline)
Days are simulated in order from per-day random streams, so a run with more days reproduces the
files of a shorter run with the same seed and knobs, and every file is byte-identical across runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from persona_dagster.events.schema import LANDING_FORMATS
from persona_dagster.landing.paths import day_dir, landing_file, validate_date
from persona_dagster.landing.writer import write_day
from persona_dagster.settings import DEFAULT_START_DATE, DataPaths
from persona_dagster.synth.catalog import Catalog, default_catalog
from persona_dagster.synth.malformed import (
    CORRUPT_FILE_REASON,
    apply_text_edits,
    inject_malformed,
    write_corrupt_file,
)
from persona_dagster.synth.population import Population, make_population, persona_task_weights
from persona_dagster.synth.sessions import ClickstreamSimulator, DayEvents, Knobs
from persona_dagster.synth.switches import plan_switches, switch_rows

OUTPUT_FORMATS: tuple[str, ...] = (*LANDING_FORMATS, "mixed")
ACTIONS = ("view", "click", "submit", "create")
# Cumulative action probabilities for page kinds view / edit / create (see catalog.page_kind).
_ACTION_CUM = np.cumsum(
    np.array([[0.90, 0.10, 0.0, 0.0], [0.50, 0.25, 0.25, 0.0], [0.35, 0.15, 0.10, 0.40]]), axis=1
)
CORRUPT_FILE_NAME = "corrupt-part.parquet"
# Random streams: [seed, stream, day, ...] keeps each concern independent of the others.
_POPULATION, _ACTIONS_STREAM, _MALFORMED, _CORRUPT, _SWITCHES = 0, 2, 3, 4, 5


class SynthConfigError(ValueError):
    """A generator knob out of range (named in the message)."""


@dataclass(frozen=True)
class SynthConfig:
    """Sizes and behaviour knobs of a generated dataset; the defaults make the ~45k-event demo."""

    users: int = 300
    days: int = 14
    start: str = DEFAULT_START_DATE
    seed: int = 7
    fmt: str = "parquet"  # parquet | csv | jsonl | mixed (rotates parquet, csv, jsonl by day)
    session_rate: float = 2.0  # mean sessions per user per weekday (weekends 40% of it)
    noise_rate: float = 0.1  # share of clicks that are navigation noise
    no_session_id_share: float = 0.3  # users whose events carry no session_id
    second_persona_share: float = 0.3
    adoption_rate: float = 0.25  # chance a session on a task with unused services adopts one
    random_adoption_rate: float = 0.01  # chance a session tries a service outside the user's personas
    multi_task_rate: float = 0.15  # chance a session goes on to a second task
    persona_switch_share: float = 0.0  # users whose main persona changes on a day in the middle third
    malformed_rate: float = 0.0  # bad rows added per clean row, per file
    corrupt_file: bool = False  # also write one unreadable file on one day
    max_rows_per_file: int = 500_000

    def __post_init__(self) -> None:
        validate_date(self.start)
        if self.users < 1 or self.days < 1:
            raise SynthConfigError(f"users and days must be >= 1, got users={self.users} days={self.days}")
        if self.fmt not in OUTPUT_FORMATS:
            raise SynthConfigError(f"fmt must be one of {OUTPUT_FORMATS}, got {self.fmt!r}")
        if self.session_rate <= 0:
            raise SynthConfigError(f"session_rate must be > 0, got {self.session_rate}")
        if not 0 <= self.noise_rate < 0.9:
            raise SynthConfigError(f"noise_rate must be in [0, 0.9), got {self.noise_rate}")
        for name in ("no_session_id_share", "second_persona_share", "adoption_rate", "random_adoption_rate",
                     "multi_task_rate", "persona_switch_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise SynthConfigError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 <= self.malformed_rate <= 0.5:
            raise SynthConfigError(f"malformed_rate must be in [0, 0.5], got {self.malformed_rate}")
        if self.max_rows_per_file < 1:
            raise SynthConfigError(f"max_rows_per_file must be >= 1, got {self.max_rows_per_file}")

    @property
    def start_date(self) -> dt.date:
        return dt.date.fromisoformat(self.start)

    def day_format(self, day_index: int) -> str:
        return LANDING_FORMATS[day_index % len(LANDING_FORMATS)] if self.fmt == "mixed" else self.fmt


def _event_id(stamp: str, number: int) -> str:
    return f"e{stamp}-{number:07d}"


def _ts_strings(day: dt.date) -> np.ndarray:
    """'YYYY-MM-DDTHH:MM:SSZ' for every second of a day, indexed by second of day."""
    seconds = np.datetime64(day.isoformat(), "s") + np.arange(86_400)
    return np.char.add(np.datetime_as_string(seconds, unit="s"), "Z").astype(object)


def _day_columns(
    events: DayEvents, day: dt.date, day_index: int, population: Population, sim: ClickstreamSimulator, seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Landing columns (object arrays of str/None) and each session's true id."""
    stamp = day.strftime("%Y%m%d")
    n = len(events.ts)
    session_ids = np.array([f"s{stamp}-{k:06d}" for k in range(len(events.session_user))], dtype=object)
    visible_ids = np.where(population.has_session_ids[events.session_user], session_ids, None)
    day_start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())
    kind = sim.index.activity_kind[events.activity]
    draw = np.random.default_rng([seed, _ACTIONS_STREAM, day_index]).random(n)
    action = (draw[:, None] >= _ACTION_CUM[kind]).sum(axis=1).clip(max=len(ACTIONS) - 1)
    service_names = np.array(sim.index.services, dtype=object)
    pages = np.array([p for _, p in sim.index.activities], dtype=object)
    columns = {
        "event_id": np.array([_event_id(stamp, i) for i in range(n)], dtype=object),
        "user_id": population.user_ids[events.user],
        "session_id": visible_ids[events.session],
        "ts": _ts_strings(day)[events.ts - day_start],
        "service": service_names[sim.index.activity_service[events.activity]],
        "page": pages[events.activity],
        "country": population.country[events.user],
        "city": population.city[events.user],
        "billing_tier": population.billing_tier[events.user],
        "action": np.array(ACTIONS, dtype=object)[action],
    }
    return columns, session_ids


def _write_day_files(
    paths: DataPaths, day: dt.date, day_index: int, columns: dict[str, np.ndarray], config: SynthConfig, staging: Path
) -> tuple[list[Path], list[dict[str, object]]]:
    """Write a day's files (split when large, bad rows added when asked); returns paths and malformed rows."""
    fmt = config.day_format(day_index)
    n = len(columns["event_id"])
    parts = max(1, -(-n // config.max_rows_per_file))
    stamp = day.strftime("%Y%m%d")
    next_id = n  # added bad rows continue the day's event numbering
    written: list[Path] = []
    malformed: list[dict[str, object]] = []
    for part in range(parts):
        name = "events" if parts == 1 else f"events-{part:03d}"
        lo, hi = part * n // parts, (part + 1) * n // parts
        chunk = {c: v[lo:hi] for c, v in columns.items()}
        target = landing_file(paths.landing, day, f"{name}.{fmt}")
        edits: dict[int, str] = {}
        if config.malformed_rate > 0:
            rng = np.random.default_rng([config.seed, _MALFORMED, day_index, part])
            first = next_id
            injected = inject_malformed(chunk, fmt, config.malformed_rate, rng, lambda k: _event_id(stamp, first + k))
            next_id += len(injected.bad_rows)
            chunk, edits = injected.columns, injected.text_edits
            rel = target.relative_to(paths.landing).as_posix()
            malformed += [{"file": rel, "row": row, "kind": kind} for row, kind in injected.bad_rows]
        if edits:
            # Edit a staged copy so the landing zone only ever sees the finished file.
            staged = write_day(staging, day, chunk, fmt=fmt, name=name)
            apply_text_edits(staged, fmt, edits)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
        else:
            write_day(paths.landing, day, chunk, fmt=fmt, name=name)
        written.append(target)
    return written, malformed


def _clear_generated_files(paths: DataPaths, days: Iterable[dt.date]) -> None:
    """Remove files an earlier run wrote for these days, so a format change leaves no stale copy behind."""
    for day in days:
        folder = day_dir(paths.landing, day)
        if folder.is_dir():
            for f in folder.iterdir():
                if f.is_file() and (f.name.startswith("events") or f.name == CORRUPT_FILE_NAME):
                    f.unlink()


def _write_csv(path: Path, fieldnames: list[str], rows: Iterable[Mapping[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def write_reference(catalog: Catalog, reference_dir: Path) -> dict[str, Path]:
    """The pipeline's inputs: activity -> task map, persona -> task weights, persona and service descriptions."""
    return {
        "activity_tasks": _write_csv(
            reference_dir / "activity_tasks.csv", ["service", "page", "task"], catalog.activity_task_rows()
        ),
        "persona_tasks": _write_csv(
            reference_dir / "persona_tasks.csv", ["persona", "task", "weight"], catalog.persona_task_rows()
        ),
        "personas": _write_csv(reference_dir / "personas.csv", ["persona", "description"], catalog.persona_rows()),
        "services": _write_csv(reference_dir / "services.csv", ["service", "description"], catalog.service_rows()),
    }


def generate(config: SynthConfig, out_dir: Path | str, catalog: Catalog | None = None) -> dict[str, object]:
    """Write landing files, reference inputs and ground truth for config under out_dir; returns a summary."""
    catalog = catalog or default_catalog()
    paths = DataPaths(Path(out_dir).resolve())
    population = make_population(
        catalog,
        config.users,
        np.random.default_rng([config.seed, _POPULATION]),
        second_persona_share=config.second_persona_share,
        no_session_id_share=config.no_session_id_share,
    )
    knobs = Knobs(
        session_rate=config.session_rate,
        noise_rate=config.noise_rate,
        adoption_rate=config.adoption_rate,
        random_adoption_rate=config.random_adoption_rate,
        multi_task_rate=config.multi_task_rate,
    )
    sim = ClickstreamSimulator(catalog, population, knobs, config.seed)
    # Its own random stream: switching some users changes nothing else about the data.
    switches = plan_switches(catalog, population, config.days, config.persona_switch_share,
                             np.random.default_rng([config.seed, _SWITCHES]))
    days = [config.start_date + dt.timedelta(days=i) for i in range(config.days)]
    _clear_generated_files(paths, days)
    paths.root.mkdir(parents=True, exist_ok=True)

    task_names = np.array([*sim.index.tasks, ""], dtype=object)  # index -1 -> "" for noise
    events_per_day: dict[str, int] = {}
    files: list[Path] = []
    truth_tables: list[pa.Table] = []
    adoptions: list[dict[str, object]] = []
    malformed: list[dict[str, object]] = []
    staging = Path(tempfile.mkdtemp(prefix=".synth-staging-", dir=paths.root))
    try:
        for day_index, day in enumerate(days):
            for switch in (s for s in switches if s.day_index == day_index):
                sim.switch_persona(switch.user, *persona_task_weights(
                    catalog, switch.to_persona, population.second_persona[switch.user]))
            events = sim.simulate_day(day_index, day)
            columns, session_ids = _day_columns(events, day, day_index, population, sim, config.seed)
            written, bad = _write_day_files(paths, day, day_index, columns, config, staging)
            files += written
            malformed += bad
            events_per_day[day.isoformat()] = len(events.ts)
            truth_tables.append(pa.table({
                "event_id": pa.array(columns["event_id"].tolist(), pa.string()),
                "true_session_id": pa.array(session_ids[events.session].tolist(), pa.string()),
                "task": pa.array(task_names[events.task].tolist(), pa.string()),
                "is_noise": pa.array(events.task < 0),
            }))
            for user, service, ts in events.adoptions:
                when = dt.datetime.fromtimestamp(ts, dt.timezone.utc)
                adoptions.append({
                    "user_id": population.user_ids[user],
                    "service": sim.index.services[service],
                    "first_date": when.date().isoformat(),
                    "first_ts": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                })
    finally:
        shutil.rmtree(staging, ignore_errors=True)

    corrupt: list[dict[str, str]] = []
    if config.corrupt_file:
        rng = np.random.default_rng([config.seed, _CORRUPT])
        day = days[int(rng.integers(len(days)))]
        path = landing_file(paths.landing, day, CORRUPT_FILE_NAME)
        write_corrupt_file(path, rng)
        corrupt.append({"file": path.relative_to(paths.landing).as_posix(), "reason": CORRUPT_FILE_REASON})
        files.append(path)

    reference = write_reference(catalog, paths.reference)
    gt = paths.ground_truth
    gt.mkdir(parents=True, exist_ok=True)
    user_cols = ["user_id", "main_persona", "second_persona", "country", "city", "billing_tier", "has_session_ids"]
    ground_truth = {
        "users": _write_csv(gt / "users.csv", user_cols, population.ground_truth_rows()),
        "initial_services": _write_csv(
            gt / "initial_services.csv", ["user_id", "service"], population.initial_service_rows(catalog.base_services)
        ),
        "adoptions": _write_csv(gt / "adoptions.csv", ["user_id", "service", "first_date", "first_ts"], adoptions),
        "persona_switches": _write_csv(gt / "persona_switches.csv", ["user_id", "switch_date", "from_persona",
                                                                     "to_persona"],
                                       switch_rows(switches, population, config.start_date)),
        "malformed": _write_csv(gt / "malformed.csv", ["file", "row", "kind"], malformed),
        "corrupt_files": _write_csv(gt / "corrupt_files.csv", ["file", "reason"], corrupt),
        "events_truth": gt / "events_truth.parquet",
    }
    pq.write_table(pa.concat_tables(truth_tables), ground_truth["events_truth"])
    return {
        "config": asdict(config),
        "users": len(population),
        "events": sum(events_per_day.values()),
        "events_per_day": events_per_day,
        "malformed_rows": len(malformed),
        "adoptions": len(adoptions),
        "persona_switches": len(switches),
        "paths": {
            "root": str(paths.root),
            "landing": str(paths.landing),
            "files": [str(f) for f in files],
            "reference": {k: str(v) for k, v in reference.items()},
            "ground_truth": {k: str(v) for k, v in ground_truth.items()},
        },
    }
