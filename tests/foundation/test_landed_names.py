"""Token-form names map back to the names as they landed; the token form keeps one ';' per activity."""

import duckdb
import pandas as pd
import pytest

from persona_dagster.sequences import activity_token, clean_part
from persona_dagster.sessionbert.sessions import service_of
from persona_dagster.warehouse.landed_names import LandedNames, read_landed_names

NAMES = [("Internet Explorer", "Home Page"), ("O'Reilly \"Books\"", "Ed. 2; revised"), ("Café Zürich", "Menü")]


def _counts(pairs, n_events=None) -> pd.DataFrame:
    return pd.DataFrame({"service": [s for s, _ in pairs], "page": [p for _, p in pairs],
                         "activity": [activity_token(s, p) for s, p in pairs],
                         "n_events": n_events or [1] * len(pairs)})


def test_every_token_maps_back_to_its_landed_service_and_page():
    names = LandedNames.from_events(_counts(NAMES))
    for service, page in NAMES:
        token = activity_token(service, page)
        assert names.activity(token) == (service, page)
        assert names.service(service_of(token)) == service
    assert names.services_of(["Internet_Explorer", "Café_Zürich"]) == ["Internet Explorer", "Café Zürich"]
    assert names.activity_counts([("Internet_Explorer;Home_Page", 3)]) == [("Internet Explorer", "Home Page", 3)]


def test_a_separator_in_a_name_never_splits_the_activity():
    token = activity_token("a;b", "c d")
    assert token == "a_b;c_d" and service_of(token) == clean_part("a;b")


def test_a_token_two_landed_names_share_goes_to_the_busier_name():
    names = LandedNames.from_events(_counts([("New York", "x"), ("New  York", "x")], n_events=[2, 5]))
    assert names.service("New_York") == "New  York"


def test_an_unknown_token_is_an_error_not_a_silent_token_form():
    with pytest.raises(KeyError, match="Internet_Explorer"):
        LandedNames.from_events(_counts(NAMES[1:])).service("Internet_Explorer")


def test_read_from_the_staged_events_table():
    con = duckdb.connect()
    con.execute("create schema staging")
    con.register("rows", _counts(NAMES).drop(columns="n_events"))
    con.execute("create table staging.stg_clickstream__events as select * from rows, range(2)")
    assert read_landed_names(con).activity("O'Reilly_\"Books\";Ed._2_revised") == NAMES[1]
