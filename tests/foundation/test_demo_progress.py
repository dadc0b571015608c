"""`make demo`'s terminal: one line per finished step, named after its asset, with a headline figure."""

import datetime as dt
import io

import dagster as dg

from persona_dagster.demo_progress import StepPrinter


@dg.asset
def tiny_table() -> dg.MaterializeResult:
    """Stands in for a pipeline step."""
    return dg.MaterializeResult(metadata={"note": "text first", "rows": 3})


def test_each_finished_step_prints_one_line_with_its_first_figure():
    instance = dg.DagsterInstance.ephemeral()
    out = io.StringIO()
    printer = StepPrinter(instance, out, dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1))
    assert dg.materialize([tiny_table], instance=instance).success
    printer.poll()
    printer.poll()  # a step is printed once
    [line] = out.getvalue().splitlines()
    assert line.split()[:2] == ["ok", "tiny_table"] and line.endswith("rows=3")
