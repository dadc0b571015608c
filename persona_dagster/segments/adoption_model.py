"""A recommender trained for the job: which unused services a user takes up next, learnt from rolling cutoffs.

Each training example is (user, cutoff day c): the user's service usage up to c and, when given,
their SessionBERT vector up to c; the label is the set of services they first use in the next
`horizon_days` days. The model scores every service (full ranking), services already used are
masked, and a softmax over the rest is fitted to the adopted set. Because every unused service
gets a score, a user always receives k recommendations when k unused services exist.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from persona_dagster.segments.adoption_features import session_cooccurrence, first_uses, service_features, usage_features
from persona_dagster.segments.baselines import service_similarity
from persona_dagster.segments.frames import as_days
from persona_dagster.segments.user_vectors import SessionVectors

WEIGHTS_FILE, META_FILE = "adoption.pt", "adoption.json"


class NotEnoughHistory(ValueError):
    """Too few cutoffs or adoptions to train the recommender; the message says how many there are."""


@dataclass(frozen=True)
class AdoptionKnobs:
    """What validation chooses: inputs (SessionBERT vectors or not), capacity, regularisation, horizon."""

    use_embedding: bool = True
    # False: nothing is fitted, services score by item co-use (item-kNN) then adopters; the setting
    # validation starts from, so a learned model is served only where it beats that on validation.
    learned: bool = True
    hidden: int = 0  # < 0: co-use features only; 0: plus linear per-service scores; > 0: plus an MLP
    weight_decay: float = 1e-3
    horizon_days: int = 14
    epochs: int = 300
    lr: float = 0.02
    seed: int = 0


@dataclass
class AdoptionInputs:
    """What the recommender reads: daily service usage, first uses, and optionally session vectors."""

    usage: pd.DataFrame  # user_id, event_date, service, n_events
    adoption: pd.DataFrame  # user_id, service, first_used_date
    vectors: SessionVectors | None = None

    def __post_init__(self) -> None:
        # Validation fits several knob settings on the same cutoffs: their feature blocks are built once.
        self._blocks: dict = {}

    def training_block(self, cutoff: dt.date, until: dt.date, services: pd.Index, use_embedding: bool):
        """(x, used, y, per-service features) of users active by cutoff who take up something in (cutoff, until]."""
        key = (cutoff, until, tuple(services), use_embedding)
        if key not in self._blocks:
            users = users_active_by(self, cutoff)
            y = first_uses(self.adoption, users, services, cutoff, until)
            keep = y.any(axis=1)
            x_all = self.features(users, services, cutoff, use_embedding)
            per = _per_service(x_all, len(services), session_cooccurrence(self.usage, services, cutoff))
            x = x_all[keep]
            self._blocks[key] = (x, x[:, : len(services)] > 0, y[keep], per[keep])
        return self._blocks[key]

    def days(self) -> list[dt.date]:
        return [d.item() for d in np.unique(as_days(self.usage["event_date"], "usage.event_date"))]

    def features(self, users: pd.Index, services: pd.Index, as_of: dt.date, use_embedding: bool) -> np.ndarray:
        x = usage_features(self.usage, users, services, as_of)
        if not use_embedding:
            return x
        if self.vectors is None:
            raise ValueError("these knobs use SessionBERT vectors but none were given")
        return np.concatenate([x, self.vectors.as_of(users, as_of)], axis=1)


def users_active_by(inputs: AdoptionInputs, day: dt.date) -> pd.Index:
    """Users with any usage on or before the day, sorted."""
    days = as_days(inputs.usage["event_date"], "usage.event_date")
    return pd.Index(sorted(inputs.usage.loc[days <= np.datetime64(day, "D"), "user_id"].unique()), name="user_id")


N_SERVICE_FEATURES = 5  # columns of service_features


class _ScoreNet(torch.nn.Module):
    """score[u, s] = w . service_features[u, s] + f(user features)[s]: shared co-use weights plus a per-service net."""

    def __init__(self, n_in: int, n_out: int, hidden: int):
        super().__init__()
        self.shared = torch.nn.Linear(N_SERVICE_FEATURES, 1)
        # Per-service prior: some services come to nearly everyone sooner or later, whatever they used.
        self.prior = torch.nn.Parameter(torch.zeros(n_out))
        # hidden < 0: shared co-use weights only; 0: plus per-service linear scores; > 0: plus an MLP.
        self.user = (None if hidden < 0 else torch.nn.Linear(n_in, n_out) if hidden == 0 else torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden), torch.nn.GELU(), torch.nn.Linear(hidden, n_out)))

    def forward(self, x: torch.Tensor, per_service: torch.Tensor) -> torch.Tensor:
        shared = self.shared(per_service).squeeze(-1) + self.prior
        return shared if self.user is None else shared + self.user(x)


def _net(n_in: int, n_out: int, hidden: int) -> torch.nn.Module:
    return _ScoreNet(n_in, n_out, hidden)


def _per_service(x: np.ndarray, n_services: int, day_sim: np.ndarray) -> np.ndarray:
    f = service_features(x, n_services, day_sim)
    # Standardised per column over the batch: the scale of co-use counts moves with the number of users.
    return ((f - f.mean(axis=(0, 1))) / (f.std(axis=(0, 1)) + 1e-6)).astype(np.float32)


def _masked_log_softmax(logits: torch.Tensor, used: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(logits.masked_fill(used, float("-inf")), dim=1)


class AdoptionRecommender:
    """Fitted scores over a fixed service catalogue, with the co-adoption counts its reasons quote."""

    def __init__(self, services: list[str], knobs: AdoptionKnobs, net: torch.nn.Module | None,
                 shift: np.ndarray, scale: np.ndarray, coadoption: np.ndarray, trained_until: dt.date):
        self.services, self.knobs, self.net = pd.Index(services, name="service"), knobs, net
        self.shift, self.scale, self.coadoption, self.trained_until = shift, scale, coadoption, trained_until

    @classmethod
    def fit(cls, inputs: AdoptionInputs, last_day: dt.date, knobs: AdoptionKnobs = AdoptionKnobs()) -> AdoptionRecommender:
        """Train on every cutoff c < last_day whose label window (c, min(c + horizon, last_day)] has adoptions."""
        services = pd.Index(sorted(inputs.usage.loc[
            as_days(inputs.usage["event_date"], "usage.event_date") <= np.datetime64(last_day, "D"), "service"].unique()))
        if not knobs.learned:
            return cls.co_use_only(inputs, last_day)
        blocks = [inputs.training_block(c, min(c + dt.timedelta(days=knobs.horizon_days), last_day), services,
                                        knobs.use_embedding) for c in inputs.days() if c < last_day]
        blocks = [b for b in blocks if len(b[2])]
        xs, useds, ys, per = ([b[i] for b in blocks] for i in range(4))
        n = sum(len(y) for y in ys)
        if n < 2:
            raise NotEnoughHistory(
                f"the recommender needs users who take up a service after some earlier day up to {last_day}: "
                f"found {n} such (user, day) examples over {len(inputs.days())} days")
        x, used, y = np.concatenate(xs), np.concatenate(useds), np.concatenate(ys)
        shift, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        torch.manual_seed(knobs.seed)
        net = _net(x.shape[1], len(services), knobs.hidden)
        xt = torch.from_numpy((x - shift) / scale)
        used_t, yt = torch.from_numpy(used), torch.from_numpy(y.astype(np.float32))
        per_t = torch.from_numpy(np.concatenate(per))
        optimizer = torch.optim.AdamW(net.parameters(), lr=knobs.lr, weight_decay=knobs.weight_decay)
        for _ in range(knobs.epochs):  # full batch: a few thousand examples at most per day range
            optimizer.zero_grad()
            logp = _masked_log_softmax(net(xt, per_t), used_t)
            loss = -(logp.masked_fill(yt == 0, 0.0) * yt).sum(dim=1).div(yt.sum(dim=1)).mean()
            loss.backward()
            optimizer.step()
        coadoption = used.T.astype(np.int64) @ y.astype(np.int64)  # [used j, adopted s] over the examples
        return cls(list(services), knobs, net.eval(), shift, scale, coadoption, last_day)

    @classmethod
    def co_use_only(cls, inputs: AdoptionInputs, last_day: dt.date) -> AdoptionRecommender:
        """Nothing fitted: item co-use (item-kNN over every user active by the day of use), then adopters.

        The documented back-off when no (user, day) adoption can be learnt from, and the first
        setting validation compares the learned ones with.
        """
        services = sorted(inputs.usage.loc[
            as_days(inputs.usage["event_date"], "usage.event_date") <= np.datetime64(last_day, "D"), "service"].unique())
        knobs = AdoptionKnobs(use_embedding=False, learned=False, hidden=-1)
        empty = np.zeros(0, np.float32)
        return cls(services, knobs, None, empty, empty, np.zeros((len(services), len(services)), np.int64), last_day)

    def scores(self, inputs: AdoptionInputs, users: pd.Index, as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """([user, service] scores with used services at -inf, [user, service] used mask) as of a day."""
        return self._scored(inputs, users, as_of)[:2]

    def _scored(self, inputs: AdoptionInputs, users: pd.Index, as_of: dt.date):
        """(scores, used mask, adopters per service, [used j, service s] evidence counts for the reasons)."""
        # Co-use statistics come from every user active by then, as in training; the rows returned are `users`.
        everyone = users_active_by(inputs, as_of).union(users)
        x_all = usage_features(inputs.usage, everyone, self.services, as_of) if self.net is None else \
            inputs.features(everyone, self.services, as_of, self.knobs.use_embedding)
        rows = everyone.get_indexer(users)
        x = x_all[rows]
        used = x[:, : len(self.services)] > 0
        history = x_all[:, : len(self.services)] > 0
        adopters = history.sum(axis=0)
        if self.net is None:
            # Exactly item_knn_recommendations' score: sum of cosines to the used services.
            logits = used.astype(np.float64) @ service_similarity(history)
            evidence = history.T.astype(np.int64) @ history.astype(np.int64)
            return np.where(used, -np.inf, logits), used, adopters, evidence
        with torch.no_grad():
            day_sim = session_cooccurrence(inputs.usage, self.services, as_of)
            per = torch.from_numpy(_per_service(x_all, len(self.services), day_sim)[rows])
            logits = self.net(torch.from_numpy((x - self.shift) / self.scale), per).numpy().astype(np.float64)
        return np.where(used, -np.inf, logits), used, adopters, self.coadoption

    def recommend(self, inputs: AdoptionInputs, users: pd.Index, as_of: dt.date, k: int) -> pd.DataFrame:
        """Rows user_id, rank, service, score, reason: each user's k best unused services, best first.

        Ties go to the service more users have used, then the name (the services are sorted), as
        in the baselines.
        """
        scores, used, adopters, evidence = self._scored(inputs, users, as_of)
        order = np.lexsort((np.broadcast_to(-adopters, scores.shape), -scores), axis=-1)[:, :k]
        rows = []
        for i, user in enumerate(users):
            for rank, s in enumerate(order[i], start=1):
                if np.isfinite(scores[i, s]):
                    rows.append((user, rank, self.services[s], float(scores[i, s]), self.reason(used[i], s, evidence)))
        return pd.DataFrame(rows, columns=["user_id", "rank", "service", "score", "reason"])

    def reason(self, used_row: np.ndarray, s: int, evidence: np.ndarray | None = None) -> str:
        """The evidence a consumer can show: the user's service after which most learners took this one up.

        Without a fitted model the evidence is co-use: the user's service most often used by the
        same users as this one.
        """
        evidence = self.coadoption if evidence is None else evidence
        support = np.where(used_row, evidence[:, s], -1)
        j = int(np.argmax(support)) if used_row.any() else -1
        if j < 0 or support[j] <= 0:
            if self.net is None:
                return f"used by {int(evidence[s, s])} users so far (none of them used what this user used)"
            taken = int(self.coadoption[:, s].max(initial=0))
            return f"taken up by users with similar recent sessions ({taken} similar adoptions in training)"
        if self.net is None:
            return f"{int(support[j])} users of {self.services[j]} also use {self.services[s]}"
        return f"{int(support[j])} users of {self.services[j]} took up {self.services[s]} next"

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        if self.net is not None:
            torch.save(self.net.state_dict(), directory / WEIGHTS_FILE)
        np.savez(directory / "adoption_arrays.npz", shift=self.shift, scale=self.scale, coadoption=self.coadoption)
        (directory / META_FILE).write_text(json.dumps({
            "services": list(self.services), "knobs": asdict(self.knobs), "n_inputs": int(self.shift.size),
            "trained_until": self.trained_until.isoformat()}, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> AdoptionRecommender:
        meta = json.loads((directory / META_FILE).read_text())
        knobs = AdoptionKnobs(**meta["knobs"])
        net = None
        if knobs.learned:
            net = _net(meta["n_inputs"], len(meta["services"]), knobs.hidden)
            net.load_state_dict(torch.load(directory / WEIGHTS_FILE, weights_only=True))
            net.eval()
        arrays = np.load(directory / "adoption_arrays.npz")
        return cls(meta["services"], knobs, net, arrays["shift"], arrays["scale"], arrays["coadoption"],
                   dt.date.fromisoformat(meta["trained_until"]))
