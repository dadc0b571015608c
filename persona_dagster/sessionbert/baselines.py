"""Non-neural next-activity baselines: most popular, and n-th order Markov backed off to shorter contexts, then popular."""

from __future__ import annotations

from collections import Counter, defaultdict

import pandas as pd

from persona_dagster.sessionbert.examples import TASK_TARGETS
from persona_dagster.sessionbert.markov_prior import START, contexts_before
from persona_dagster.sessionbert.sessions import service_of


def _most_common(counts: Counter[str]) -> str:
    """The top label; ties broken by name so results never depend on row order."""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _label(task: str, activity: str) -> str:
    return service_of(activity) if task == "service" else activity


class PopularityBaseline:
    """Always predict the most frequent next service / next page of the training examples."""

    def fit(self, examples: pd.DataFrame) -> PopularityBaseline:
        self.top = {task: _most_common(Counter(examples[column])) for task, column in TASK_TARGETS.items()}
        return self

    def predict(self, examples: pd.DataFrame) -> dict[str, list[str]]:
        return {task: [label] * len(examples) for task, label in self.top.items()}


class MarkovBaseline:
    """Next = the most frequent successor of the last `order` activities; an unseen context backs off to shorter
    ones, down to the previous activity, then to popular.

    Transitions are counted over every consecutive position in the training sessions (history +
    target), not only the final one, which is what a Markov chain uses. Contexts are those of
    markov_prior.NgramPrior (a session starts with START), so order 2 knows a history's first click.
    """

    def __init__(self, order: int = 1):
        self.order = order

    def fit(self, examples: pd.DataFrame) -> MarkovBaseline:
        self.fallback = PopularityBaseline().fit(examples)
        counts: dict[str, dict[tuple[str, ...], Counter[str]]] = {t: defaultdict(Counter) for t in TASK_TARGETS}
        for history, target in zip(examples["history"], examples["next_page"]):
            walk = [START, *history, target]
            for position in range(2, len(walk)):
                for ctx in contexts_before(walk, position, self.order):
                    for task in TASK_TARGETS:
                        counts[task][ctx][_label(task, walk[position])] += 1
        self.table = {t: {ctx: _most_common(c) for ctx, c in by_ctx.items()} for t, by_ctx in counts.items()}
        return self

    def _predict_one(self, task: str, history: list[str]) -> str:
        walk = [START, *history]
        for ctx in reversed(contexts_before(walk, len(walk), self.order)):  # longest first
            if ctx in self.table[task]:
                return self.table[task][ctx]
        return self.fallback.top[task]

    def predict(self, examples: pd.DataFrame) -> dict[str, list[str]]:
        return {task: [self._predict_one(task, list(h)) for h in examples["history"]] for task in TASK_TARGETS}
