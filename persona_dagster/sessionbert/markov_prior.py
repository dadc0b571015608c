"""Transition log-probabilities over a session's last activities, the prior the next-activity heads correct.

A small encoder trained for a few epochs on CPU does not rediscover what counting transitions
knows at once (measured: weighted F1 0.751 vs Markov 0.839 on the demo data). Adding
log P(next | last activities) to each head's logits starts the model where the count model is and
spends training on what the counts cannot tell: the rest of the session and its context.

NgramPrior is an interpolated n-gram over the last `order` activities (order 1 is the first-order
chain the heads used before). It lives outside the encoder: a dense table over every context would
be |V|^order rows, so the counts are kept sparse, the per-example log-probabilities are computed
here and passed to the model's forward, and the counts are saved as JSON beside the weights.

The orders are not chosen but mixed: log P = log_softmax(sum_k w_k log P_k) over the interpolated
estimates P_1..P_order, the weights fitted by maximum likelihood on every transition of the training
sessions, each scored with its own session taken out of the counts (fit_order_weights). Why: the
order chosen on a validation window of a few hundred session ends did not hold on the later test
window (choice order 1 where order 2 won the test by +0.006 / +0.016 page F1 on the dev data and
msnbc; order 2 where order 1 won by +0.014 on the demo data), while the fitted mixture, with every
transition as evidence, scored at least the chosen order on all three development logs (page
weighted F1: dev data 0.770 vs 0.761, eshop 0.078 vs 0.072, msnbc 0.671 vs 0.659).

transition_log_priors (a dense [token id, label] first-order table) is what checkpoints saved
before NgramPrior hold; NextActivityModel still loads and runs those.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import PreTrainedTokenizerFast

from persona_dagster.sessionbert.labels import LabelVocab
from persona_dagster.sessionbert.sessions import service_of

# One pseudo-count per context, spread as the next-shorter context's distribution (the label shares
# below the first order):  P_k(y | c) = (n(c, y) + SMOOTHING * P_{k-1}(y | c')) / (n(c) + SMOOTHING).
# Why this form: a context never seen gives exactly the shorter context's distribution (back-off
# with nothing to tune), a context seen n times trusts its own counts with weight n / (n + 1), so
# long, sparse contexts only move the prior once they have evidence; and at order 1 it is the
# smoothing the first-order prior always had (checkpoints and results stay comparable). The value is
# not tuned: the order is (on validation), and the heads' learned scale absorbs over/under-confidence.
SMOOTHING = 1.0
# The context before a session's first activity, so order 2 can tell "first click was x" from "x".
START = "[start]"
PRIOR_FILE = "ngram_prior.json"
FORMAT = 1
# The mixture's longest context when none is given (fitted weights decide how much each order counts).
DEFAULT_ORDER = 3
# At most this many transitions, evenly spaced, fit the mixture's few weights: the leave-own-session-out
# estimates cost about 0.35 ms each in Python (2.5 s for the demo's 7,071), and a handful of weights
# do not need more evidence than this.
WEIGHT_FIT_TRANSITIONS = 3000


def _label(task: str, activity: str) -> str:
    return service_of(activity) if task == "service" else activity


# One order for every task, or one per task (the heads' validation scores can disagree).
PriorOrder = int | Mapping[str, int]


def task_orders(order: PriorOrder, tasks: Sequence[str]) -> dict[str, int]:
    """{task: order} from one order or a per-task mapping (each at least 1; every task named)."""
    orders = {t: int(order) for t in tasks} if isinstance(order, int) else {t: int(order[t]) for t in tasks}
    bad = {t: o for t, o in orders.items() if o < 1}
    if bad:
        raise ValueError(f"an n-gram prior needs order >= 1, got {bad}")
    return orders


def contexts_before(walk: Sequence[str], position: int, order: int) -> list[tuple[str, ...]]:
    """The contexts of lengths 1..order (shortest first) ending just before walk[position], as far as the walk goes."""
    return [tuple(walk[position - k : position]) for k in range(1, min(order, position) + 1)]


def transition_vocabs(histories: Sequence[Sequence[str]], targets: Sequence[str], tasks: Sequence[str],
                      min_count: int = 1) -> dict[str, LabelVocab]:
    """Per task the labels of every transition the prior counts (each activity after a session's first).

    Not only the fine-tuning targets: built from session ends, the page vocabulary held 100 of the
    191 pages that follow another in the demo's training sessions, so the heads and their prior
    could never name the rest, while the Markov baseline they are compared with can (the prior
    alone, page weighted F1 on the demo data's test split: 0.741 with target labels, 0.762 with
    transition labels; Markov 0.760).
    """
    walks = [[*history, target] for history, target in zip(histories, targets, strict=True)]
    return {task: LabelVocab.build([_label(task, a) for walk in walks for a in walk[1:]], min_count=min_count)
            for task in tasks}


class NgramPrior:
    """Interpolated P(label | last `order` activities) per task, counted over every transition of training sessions.

    Every consecutive position of history + target counts, as a first-order chain does; histories
    start with START. Unseen contexts back off to shorter ones, and to the label shares at the end.
    """

    def __init__(self, order: PriorOrder, labels: Mapping[str, Sequence[str]],
                 label_counts: Mapping[str, Sequence[float]],
                 counts: Mapping[str, Mapping[tuple[str, ...], Mapping[int, float]]],
                 weights: Mapping[str, Sequence[float]] | None = None):
        self.labels = {t: tuple(v) for t, v in labels.items()}
        self.tasks = tuple(self.labels)
        self.orders = task_orders(order, self.tasks)
        self.order = max(self.orders.values())  # the longest context any task reads
        self.label_counts = {t: np.asarray(label_counts[t], dtype=np.float64) for t in self.tasks}
        self.counts = {t: {ctx: dict(c) for ctx, c in counts[t].items()} for t in self.tasks}
        self._dense: dict[str, dict[tuple[str, ...], np.ndarray]] = {t: {} for t in self.tasks}
        self._index = {t: {label: i for i, label in enumerate(v)} for t, v in self.labels.items()}
        # Per task the log-linear weights of orders 1..order; None = the longest order alone.
        self.weights: dict[str, np.ndarray] | None = None
        if weights is not None:
            self.weights = {t: np.asarray(weights[t], dtype=np.float64) for t in self.tasks}
            bad = {t: len(w) for t, w in self.weights.items() if len(w) != self.orders[t]}
            if bad:
                raise ValueError(f"mixture weights need one weight per order 1..order; got {bad} for {self.orders}")

    @classmethod
    def fit(cls, histories: Sequence[Sequence[str]], targets: Sequence[str], vocabs: Mapping[str, LabelVocab],
            order: PriorOrder = DEFAULT_ORDER, mixture: bool = True) -> NgramPrior:
        """Counts over every transition of the sessions (history + target); with mixture, the orders'
        weights fitted on those transitions too (fit_order_weights), else the longest order alone.

        A mixture fitted on the same sessions, labels and orders comes back from a small cache (an
        evaluation fits it for the validation search, each fine-tuned variant and the baseline row);
        nothing mutates a fitted mixture, so the instance is shared.
        """
        orders = task_orders(order, list(vocabs))
        key = None
        if mixture:
            key = (tuple(map(tuple, histories)), tuple(targets), tuple((t, v.labels) for t, v in vocabs.items()),
                   tuple(sorted(orders.items())))
            if key in _FITTED:
                return _FITTED[key]
        index = {t: {label: i for i, label in enumerate(v.labels)} for t, v in vocabs.items()}
        counts: dict[str, dict[tuple[str, ...], Counter[int]]] = {t: {} for t in vocabs}
        label_counts = {t: np.zeros(len(v)) for t, v in vocabs.items()}
        for history, target in zip(histories, targets, strict=True):
            walk = [START, *history, target]
            for position in range(2, len(walk)):  # every transition with a real predecessor, as the first order had
                for task in vocabs:
                    y = index[task].get(_label(task, walk[position]), 0)
                    label_counts[task][y] += 1
                    for ctx in contexts_before(walk, position, orders[task]):
                        counts[task].setdefault(ctx, Counter())[y] += 1
        prior = cls(orders, {t: v.labels for t, v in vocabs.items()}, label_counts, counts)
        if not mixture:
            return prior
        _FITTED[key] = prior.fit_order_weights(histories, targets)
        while len(_FITTED) > _FITTED_KEPT:
            _FITTED.pop(next(iter(_FITTED)))  # oldest first
        return prior

    def fit_order_weights(self, histories: Sequence[Sequence[str]], targets: Sequence[str]) -> NgramPrior:
        """Set per task the weights w_1..w_order maximising the likelihood of every transition of these
        (counted) sessions, each transition's estimates computed with its own session taken out."""
        sessions = [[*h, t] for h, t in zip(histories, targets, strict=True)]
        cuts = [(s[:i], s) for s in sessions for i in range(1, len(s))]
        if not cuts:
            return self
        if len(cuts) > WEIGHT_FIT_TRANSITIONS:
            cuts = [cuts[i] for i in np.linspace(0, len(cuts) - 1, WEIGHT_FIT_TRANSITIONS).astype(int)]
        per_order = self.order_log_probs([h for h, _ in cuts], [s for _, s in cuts])
        labels = {t: torch.tensor([self._index[t].get(_label(t, s[len(h)]), 0) for h, s in cuts]) for t in self.tasks}
        return self.fit_weights_on(per_order, labels)

    def fit_weights_on(self, per_order: Mapping[str, torch.Tensor], labels: Mapping[str, torch.Tensor]) -> NgramPrior:
        """fit_order_weights from order_log_probs already computed (with own sessions left out) and their label ids."""
        self.weights = {t: _max_likelihood_weights(per_order[t], labels[t]) for t in self.tasks}
        return self

    def _shares(self, task: str, own: np.ndarray | None) -> np.ndarray:
        c = self.label_counts[task] - (own if own is not None else 0)
        return (c + 1.0) / (c.sum() + c.size)  # add-one: a label is never impossible

    def _vector(self, task: str, ctx: tuple[str, ...]) -> np.ndarray | None:
        cached = self._dense[task].get(ctx)
        if cached is None:
            sparse = self.counts[task].get(ctx)
            if sparse is None:
                return None
            cached = np.zeros(len(self.labels[task]))
            for y, n in sparse.items():
                cached[y] += n
            self._dense[task][ctx] = cached
        return cached

    def probabilities(self, history: Sequence[str], own_session: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Per task P(label | the history's last activities), the orders mixed; sums to 1 over the labels (OTHER included)."""
        return {t: self._mix(t, np.log(np.stack(ps))) for t, ps in self.order_probabilities(history, own_session).items()}

    def _mix(self, task: str, log_ps: np.ndarray) -> np.ndarray:
        """log_ps [order, labels] (or [order, n, labels]) -> the mixture's probabilities [labels] (or [n, labels])."""
        if self.weights is None:
            return np.exp(log_ps[-1])
        z = np.tensordot(self.weights[task], log_ps, axes=1)
        z = np.exp(z - z.max(axis=-1, keepdims=True))
        return z / z.sum(axis=-1, keepdims=True)

    def order_probabilities(self, history: Sequence[str],
                            own_session: Sequence[str] | None = None) -> dict[str, list[np.ndarray]]:
        """Per task [P_1, ..., P_order]: the interpolated estimate at each context length (an unseen
        context backs off: its P_k is P_{k-1}).

        own_session: the history is a prefix of a training session (its activities) that was
        counted; that session's transitions are taken out first, so the prior a training example
        sees is what an unseen session would see (otherwise high orders look certain in training and
        the learned scale trusts them too much at test time).
        """
        if own_session is not None and list(own_session[: len(history)]) != list(history):
            raise ValueError("own_session must start with the history it is the session of")
        own_walk = None if own_session is None else [START, *own_session]
        out = {}
        for task in self.tasks:
            # The contexts before the predicted position, as long as this task's order.
            contexts = contexts_before([START, *history], len(history) + 1, self.orders[task])
            own = self._own_counts(task, own_walk, contexts) if own_walk is not None else None
            p = self._shares(task, own[()] if own else None)
            estimates = []
            for ctx in contexts:
                c = self._vector(task, ctx)
                if c is None:
                    break  # a longer context than an unseen one is unseen too
                if own:
                    c = c - own[ctx]
                    if c.sum() <= 0:
                        break
                p = (c + SMOOTHING * p) / (c.sum() + SMOOTHING)
                estimates.append(p)
            if not estimates:
                estimates.append(p)  # no context seen: the label shares
            out[task] = estimates + [estimates[-1]] * (self.orders[task] - len(estimates))
        return out

    def _own_counts(self, task: str, walk: Sequence[str], contexts: list[tuple[str, ...]]) -> dict:
        """{context: label counts} this walk added to the final contexts (and to the label shares, key ())."""
        index = self._index[task]
        own = {ctx: np.zeros(len(index)) for ctx in [(), *contexts]}
        for position in range(2, len(walk)):
            y = index.get(_label(task, walk[position]), 0)
            own[()][y] += 1
            for ctx in contexts_before(walk, position, self.orders[task]):
                if ctx in own:
                    own[ctx][y] += 1
        return own

    def order_log_probs(self, histories: Sequence[Sequence[str]],
                        own_sessions: Sequence[Sequence[str]] | None = None) -> dict[str, torch.Tensor]:
        """Per task a float64 [order, examples, labels] tensor of log P_k, each order's estimate."""
        rows = [self.order_probabilities(h, None if own_sessions is None else own_sessions[i])
                for i, h in enumerate(histories)]
        return {t: torch.from_numpy(np.log(np.stack([np.stack(r[t]) for r in rows], axis=1)) if rows else
                                    np.zeros((self.orders[t], 0, len(self.labels[t])))) for t in self.tasks}

    def log_probs(self, histories: Sequence[Sequence[str]],
                  own_sessions: Sequence[Sequence[str]] | None = None) -> dict[str, torch.Tensor]:
        """Per task a float32 [examples, labels] tensor of the mixture's log P, what NextActivityModel.forward adds to its heads."""
        return self.mix_log_probs(self.order_log_probs(histories, own_sessions))

    def mix_log_probs(self, per_order: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """order_log_probs' tensors -> per task the float32 [examples, labels] log P of the mixture."""
        return {t: torch.from_numpy(np.log(self._mix(t, lp.numpy()))).float() for t, lp in per_order.items()}

    def predict(self, histories: Sequence[Sequence[str]]) -> dict[str, list[str]]:
        """The most likely label per history (OTHER excluded), the interpolated count model as a baseline."""
        out: dict[str, list[str]] = {t: [] for t in self.tasks}
        for h in histories:
            for task, p in self.probabilities(h).items():
                out[task].append(self.labels[task][1 + int(np.argmax(p[1:]))])
        return out

    def to_json(self) -> dict:
        return {"format": FORMAT, "order": self.order, "orders": self.orders, "smoothing": SMOOTHING,
                "weights": None if self.weights is None else {t: w.tolist() for t, w in self.weights.items()},
                "tasks": {t: {"labels": list(self.labels[t]), "label_counts": self.label_counts[t].tolist(),
                              "contexts": {" ".join(ctx): {str(y): n for y, n in c.items()}
                                           for ctx, c in self.counts[t].items()}}
                          for t in self.tasks}}

    @classmethod
    def from_json(cls, data: Mapping) -> NgramPrior:
        if data.get("format") != FORMAT:
            raise ValueError(f"n-gram prior format {data.get('format')!r} is not {FORMAT}: refit the model")
        if data.get("smoothing") != SMOOTHING:
            raise ValueError(f"n-gram prior saved with smoothing {data.get('smoothing')} but this code uses {SMOOTHING}")
        tasks = data["tasks"]
        # Files saved before per-task orders have one order for every task.
        return cls(data.get("orders", int(data["order"])), {t: v["labels"] for t, v in tasks.items()},
                   {t: v["label_counts"] for t, v in tasks.items()},
                   {t: {tuple(k.split(" ")): {int(y): n for y, n in c.items()} for k, c in v["contexts"].items()}
                    for t, v in tasks.items()},
                   data.get("weights"))  # files saved before the mixture: the longest order alone

    def save(self, directory: str | Path) -> Path:
        path = Path(directory) / PRIOR_FILE
        path.write_text(json.dumps(self.to_json()))
        return path

    @classmethod
    def load(cls, directory: str | Path) -> NgramPrior:
        return cls.from_json(json.loads((Path(directory) / PRIOR_FILE).read_text()))


# Fitted mixtures by (sessions, labels, orders): a few, since one evaluation uses two or three datasets.
_FITTED: dict[tuple, NgramPrior] = {}
_FITTED_KEPT = 4


def _max_likelihood_weights(log_ps: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """argmax_w sum_i log softmax(sum_k w_k log_ps[k, i])[targets_i]: convex in w (a log-linear model).

    Starts at the longest order alone; a handful of weights, so L-BFGS converges in a few steps.
    """
    w = torch.zeros(log_ps.size(0), dtype=torch.float64)
    w[-1] = 1.0
    w.requires_grad_(True)
    opt = torch.optim.LBFGS([w], max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch.tensordot(w, log_ps, dims=1), targets)
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy().copy()


def transition_log_priors(histories: Sequence[Sequence[str]], targets: Sequence[str], tokenizer: PreTrainedTokenizerFast,
                          vocabs: Mapping[str, LabelVocab], vocab_size: int) -> dict[str, torch.Tensor]:
    """Per task [token id, label] log P(label of next | previous activity token), smoothed to the label shares.

    The dense first-order table of checkpoints saved before NgramPrior (kept to build such models in tests).
    Every consecutive pair of every training session counts (history + its target), as a
    first-order chain does; tokens never seen as a predecessor get the label shares alone.
    """
    counts = {t: torch.zeros(vocab_size, len(v), dtype=torch.float64) for t, v in vocabs.items()}
    for history, target in zip(histories, targets, strict=True):
        walk = [*history, target]
        prev_ids = tokenizer.convert_tokens_to_ids(walk[:-1])
        for task, vocab in vocabs.items():
            labels = vocab.encode([_label(task, a) for a in walk[1:]])
            counts[task].index_put_((torch.tensor(prev_ids, dtype=torch.long), labels),
                                    torch.ones(len(labels), dtype=torch.float64), accumulate=True)
    priors = {}
    for task, c in counts.items():
        shares = (c.sum(dim=0) + 1.0) / (c.sum() + c.size(1))
        priors[task] = torch.log((c + SMOOTHING * shares) / (c.sum(dim=1, keepdim=True) + SMOOTHING)).float()
    return priors
