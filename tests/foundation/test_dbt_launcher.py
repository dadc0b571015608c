"""The dbt launcher: answers dagster-dbt's per-run version question without starting dbt, runs dbt for the rest."""

import re
import subprocess
from importlib.metadata import version

from persona_dagster.warehouse.dbt_process import dbt_launcher


def test_version_is_the_installed_dbt_core_and_parses_as_dagster_dbt_reads_it(tmp_path):
    out = subprocess.check_output([str(dbt_launcher(tmp_path)), "--version"], text=True)
    # dagster-dbt's DbtCliResource._cli_version takes the first x.y.z of this output.
    assert re.search(r"(\d+\.\d+\.\d+)", out).group(1) == version("dbt-core")


def test_other_commands_reach_dbt(tmp_path):
    done = subprocess.run([str(dbt_launcher(tmp_path)), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "Usage: dbt" in done.stdout
