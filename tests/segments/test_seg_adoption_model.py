"""The adoption recommender: learns who takes up what next, full k lists, reasons, no look-ahead, back-off."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from persona_dagster.segments.adoption_model import AdoptionInputs, AdoptionKnobs, AdoptionRecommender, NotEnoughHistory
from persona_dagster.segments.user_vectors import SessionVectors

DAYS = [dt.date(2026, 1, d) for d in range(1, 9)]
SERVICES = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"]


def _world(n_users: int = 40, seed: int = 0) -> AdoptionInputs:
    """Half the users start on alpha and take up beta two days later; the others start on gamma and take up delta."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        start, follow = ("alpha", "beta") if u % 2 == 0 else ("gamma", "delta")
        first = int(rng.integers(0, 4))
        for d in range(first, len(DAYS)):
            rows.append((f"u{u:02d}", DAYS[d], start, 3))
            rows.append((f"u{u:02d}", DAYS[d], "eps", 1))
            if d >= first + 2:
                rows.append((f"u{u:02d}", DAYS[d], follow, 2))
            if rng.random() < 0.2:
                rows.append((f"u{u:02d}", DAYS[d], str(rng.choice(SERVICES[5:])), 1))
    usage = pd.DataFrame(rows, columns=["user_id", "event_date", "service", "n_events"])
    adoption = usage.groupby(["user_id", "service"], as_index=False)["event_date"].min()
    return AdoptionInputs(usage, adoption.rename(columns={"event_date": "first_used_date"}))


def test_it_learns_what_users_take_up_next_and_says_why():
    inputs = _world()
    model = AdoptionRecommender.fit(inputs, DAYS[5], AdoptionKnobs(use_embedding=False, hidden=0))
    usage = inputs.usage
    fresh = usage[(usage["event_date"] <= DAYS[1])]
    # Users whose first day was DAYS[1]: they use alpha (or gamma) and eps, nothing else yet.
    newcomers = [u for u, g in fresh.groupby("user_id") if g["event_date"].min() == DAYS[1]
                 and set(g["service"]) <= {"alpha", "gamma", "eps"}]
    assert newcomers
    recs = model.recommend(inputs, pd.Index(newcomers), DAYS[1], k=5)
    top = recs[recs["rank"] == 1].set_index("user_id")
    for user in newcomers:
        started = set(fresh.loc[fresh["user_id"] == user, "service"])
        expected = "beta" if "alpha" in started else "delta"
        assert top.loc[user, "service"] == expected
        assert "took up" in top.loc[user, "reason"] and expected in top.loc[user, "reason"]
    # Full lists of k services, never one the user had used.
    for user, group in recs.groupby("user_id"):
        assert list(group["rank"]) == [1, 2, 3, 4, 5]
        assert not set(group["service"]) & set(fresh.loc[fresh["user_id"] == user, "service"])


def test_nothing_after_the_training_day_changes_the_model():
    inputs = _world()
    late = inputs.usage.assign(event_date=DAYS[-1] + dt.timedelta(days=5), service="zeta", n_events=9)
    noisy = AdoptionInputs(pd.concat([inputs.usage, late]), inputs.adoption)
    a = AdoptionRecommender.fit(inputs, DAYS[4], AdoptionKnobs(use_embedding=False, hidden=0, epochs=50))
    b = AdoptionRecommender.fit(noisy, DAYS[4], AdoptionKnobs(use_embedding=False, hidden=0, epochs=50))
    users = pd.Index(sorted(inputs.usage["user_id"].unique()))
    np.testing.assert_allclose(a.scores(inputs, users, DAYS[4])[0], b.scores(noisy, users, DAYS[4])[0], rtol=1e-5)


def test_session_vectors_feed_the_model_and_it_round_trips(tmp_path):
    inputs = _world()
    sessions = inputs.usage.drop_duplicates(["user_id", "event_date"])[["user_id", "event_date"]].reset_index(drop=True)
    sessions = sessions.assign(session_start=pd.to_datetime(sessions["event_date"]),
                               session_key=[f"s{i}" for i in range(len(sessions))])
    vectors = np.random.default_rng(1).normal(size=(len(sessions), 4)).astype(np.float32)
    inputs.vectors = SessionVectors(sessions, vectors)
    model = AdoptionRecommender.fit(inputs, DAYS[5], AdoptionKnobs(use_embedding=True, hidden=8, epochs=30))
    loaded = AdoptionRecommender.load(model.save(tmp_path / "m"))
    users = pd.Index(sorted(inputs.usage["user_id"].unique()))
    np.testing.assert_allclose(model.scores(inputs, users, DAYS[5])[0], loaded.scores(inputs, users, DAYS[5])[0])
    assert loaded.knobs == model.knobs and loaded.trained_until == DAYS[5]


def test_one_day_is_too_little_to_learn_and_the_back_off_still_fills_the_list():
    inputs = _world()
    one_day = AdoptionInputs(inputs.usage[inputs.usage["event_date"] == DAYS[0]], inputs.adoption)
    with pytest.raises(NotEnoughHistory, match=r"found 0 such \(user, day\) examples over 1 days"):
        AdoptionRecommender.fit(one_day, DAYS[0])
    backoff = AdoptionRecommender.co_use_only(one_day, DAYS[0])
    users = pd.Index(sorted(one_day.usage["user_id"].unique()))
    recs = backoff.recommend(one_day, users, DAYS[0], k=2)
    n_unused = {u: len(set(one_day.usage["service"]) - set(g["service"])) for u, g in one_day.usage.groupby("user_id")}
    assert all(len(g) == min(2, n_unused[u]) for u, g in recs.groupby("user_id"))


def test_knob_choice_takes_the_simplest_setting_within_one_standard_error_of_the_best():
    from persona_dagster.segments.adoption_selection import paired_standard_error, simplest_within_one_se

    simple = [1.0] * 40 + [0.0] * 60  # users 0-39 hit: 0.40
    lucky = [0.0] * 10 + [1.0] * 44 + [0.0] * 46  # users 10-53: 0.44, +14 -10 users, inside the noise of 100
    clear = [1.0] * 80 + [0.0] * 20  # users 0-79: 0.80, a real gain
    chosen, se = simplest_within_one_se([simple, lucky])
    assert chosen == 0 and se[0] == pytest.approx(paired_standard_error(lucky, simple)) and se[1] == 0.0
    assert simplest_within_one_se([simple, lucky, clear])[0] == 2
    assert simplest_within_one_se([lucky, lucky])[0] == 0  # a tie goes to the simpler
    assert paired_standard_error([1.0], [0.0]) == 0.0


def test_the_unlearned_setting_ranks_exactly_as_item_knn_and_round_trips(tmp_path):
    from persona_dagster.segments.baselines import item_knn_recommendations
    from persona_dagster.segments.splits import used_services

    inputs = _world(seed=3)
    day = DAYS[4]
    model = AdoptionRecommender.fit(inputs, day, AdoptionKnobs(learned=False))
    assert model.net is None and not model.knobs.learned
    users = sorted(inputs.usage.loc[inputs.usage["event_date"] <= day, "user_id"].unique())
    ours = model.recommend(inputs, pd.Index(users), day, k=3)
    used = used_services(inputs.adoption, np.datetime64(day, "D"))
    theirs = item_knn_recommendations(used, k=3, users=users)
    assert ours[["user_id", "rank", "service"]].values.tolist() == theirs[["user_id", "rank", "service"]].values.tolist()
    # The reason quotes the co-use behind the pick; the saved back-off loads and ranks the same.
    assert ours["reason"].str.contains(" also use | users so far").all()
    loaded = AdoptionRecommender.load(model.save(tmp_path / "m"))
    assert loaded.recommend(inputs, pd.Index(users), day, k=3).equals(ours)
