"""`make demo` on the terminal: one line per finished step (what, how long, a headline figure); the rest to a log file."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import dagster as dg
from dagster._core.events import DagsterEventType

_EVENTS = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
           DagsterEventType.ASSET_MATERIALIZATION}
POLL_SECONDS = 2.0


def headline(metadata: dict) -> str:
    """The first numeric figure of a materialization's metadata, as 'name=value' ('' when none)."""
    for name, value in metadata.items():
        raw = getattr(value, "value", value)
        if "duration" in name.lower():  # how long is already on the line
            continue
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            continue
        return f"{name}={raw:,}" if isinstance(raw, int) else f"{name}={raw:.4g}"
    return ""


class StepPrinter:
    """Reads the instance's event log of the runs created since `since` and prints each step once it ends."""

    def __init__(self, instance: dg.DagsterInstance, out: TextIO, since: dt.datetime):
        self.instance, self.out, self.since = instance, out, since
        self.printed: set[tuple[str, str]] = set()
        # Per run: where its event log was read up to, and what its steps have shown so far. Each poll reads
        # only new events (it runs in the demo's process: rereading every run's log took 0.15 s of every 2 s).
        self.cursors: dict[str, str | None] = {}
        self.started: dict[str, dict[str, float]] = {}
        self.assets: dict[str, dict[str, tuple[dict, dict]]] = {}
        self.finished: set[str] = set()

    def poll(self) -> None:
        for run in reversed(self.instance.get_runs(filters=dg.RunsFilter(created_after=self.since))):
            if run.run_id in self.finished:
                continue
            run_finished = run.is_finished  # read before the events: a run that ends meanwhile is read again
            has_more = True
            while has_more:
                page = self.instance.get_records_for_run(run.run_id, cursor=self.cursors.get(run.run_id),
                                                         of_type=_EVENTS, limit=1000)
                self.cursors[run.run_id], has_more = page.cursor, page.has_more
                for record in page.records:
                    self._event(run.run_id, record.event_log_entry)
            if run_finished:
                self.finished.add(run.run_id)

    def _event(self, run_id: str, entry) -> None:
        event, step = entry.dagster_event, entry.step_key
        started, assets = self.started.setdefault(run_id, {}), self.assets.setdefault(run_id, {})
        if event.event_type == DagsterEventType.STEP_START:
            started[step] = entry.timestamp
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.step_materialization_data.materialization
            partitions, _ = assets.setdefault(step, ({}, None))
            key = materialization.asset_key.to_user_string()
            partitions.setdefault(key, set()).add(materialization.partition)
            assets[step] = (partitions, materialization.metadata)
        elif (run_id, step) not in self.printed:
            self.printed.add((run_id, step))
            ok = event.event_type == DagsterEventType.STEP_SUCCESS
            self._line(step, ok, entry.timestamp - started.get(step, entry.timestamp), assets.get(step))

    def _line(self, step: str, ok: bool, seconds: float, assets) -> None:
        partitions, metadata = assets or ({}, {})
        days = max((len(p - {None}) for p in partitions.values()), default=0)
        label = next(iter(partitions)) if len(partitions) == 1 else step
        what = " x ".join(filter(None, [f"{len(partitions)} assets" if len(partitions) > 1 else "",
                                         f"{days} days" if days else ""]))
        print(f"  {'ok  ' if ok else 'FAIL'} {label:<34} {seconds:>6.0f} s  {what:<22} {headline(metadata or {})}".rstrip(),
              file=self.out, flush=True)


@contextlib.contextmanager
def progress_lines(instance: dg.DagsterInstance, log_file: Path) -> Iterator[TextIO]:
    """Inside: everything written to fd 1 and 2 (Dagster, dbt, warnings) goes to log_file; steps print to the terminal.

    Yields the terminal, for lines meant to be seen.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    printer = StepPrinter(instance, terminal, dt.datetime.now(dt.timezone.utc))
    done = threading.Event()

    def watch() -> None:
        while not done.wait(POLL_SECONDS):
            with contextlib.suppress(Exception):  # a read racing a write: the next poll sees it
                printer.poll()

    with log_file.open("a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            yield terminal
        finally:
            done.set()
            thread.join()
            printer.poll()
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            terminal.close()
