"""The model tables' DDL: created once, and an older warehouse gains the columns added since."""

from __future__ import annotations

import duckdb
import pandas as pd

from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_rows

OLD_INDUCED_PERSONAS = """
create schema ml;
create table ml.induced_personas (
    user_id varchar not null, cluster_id varchar not null, label varchar not null, description varchar not null,
    evidence_memory_ids varchar[] not null, cohesion double not null, alignment double not null,
    truthfulness double not null, specificity double not null, final_score double not null,
    policy_version varchar not null
);
insert into ml.induced_personas values ('u1', 'u1#0', 'Cost reviewer', 'Reviews costs.', ['m1'], 1, 1, 1, 1, 1, 'v1');
"""


def _persona(label_focus: float) -> pd.DataFrame:
    return pd.DataFrame([{"user_id": "u1", "cluster_id": "u1#0", "label": "Cost reviewer focused on billing",
                          "description": "Reviews costs in billing.", "evidence_memory_ids": ["m1"], "cohesion": 1.0,
                          "alignment": 0.5, "truthfulness": 1.0, "specificity": 0.4, "label_focus": label_focus,
                          "final_score": 0.6, "policy_version": "v2"}])


def test_a_warehouse_from_before_label_focus_gains_the_column_and_takes_new_personas(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(OLD_INDUCED_PERSONAS)
    ensure_ml_tables(con)
    ensure_ml_tables(con)  # idempotent
    assert con.execute("select label_focus from ml.induced_personas").fetchall() == [(None,)]
    replace_rows(con, "induced_personas", _persona(0.75))
    assert con.execute("select policy_version, label_focus from ml.induced_personas").fetchall() == [("v2", 0.75)]


def test_a_new_warehouse_has_every_column(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_ml_tables(con)
    replace_rows(con, "induced_personas", _persona(1.0))
    assert con.execute("select label_focus from ml.induced_personas").fetchall() == [(1.0,)]
