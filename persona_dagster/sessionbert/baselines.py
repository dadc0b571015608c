"""Non-neural next-activity baselines: most popular, and first-order Markov backed off to popular."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import pandas as pd

from persona_dagster.sessionbert.examples import TASK_TARGETS
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
    """Next = the most frequent successor of the previous activity; unseen previous -> popular.

    Transitions are counted over every consecutive pair in the training sessions
    (history + target), not only the final one, which is what a first-order chain uses.
    """

    def fit(self, examples: pd.DataFrame) -> MarkovBaseline:
        self.fallback = PopularityBaseline().fit(examples)
        counts: dict[str, dict[str, Counter[str]]] = {t: defaultdict(Counter) for t in TASK_TARGETS}
        for history, target in zip(examples["history"], examples["next_page"]):
            walk = [*history, target]
            for prev, nxt in zip(walk, walk[1:]):
                for task in TASK_TARGETS:
                    counts[task][prev][_label(task, nxt)] += 1
        self.table = {t: {prev: _most_common(c) for prev, c in by_prev.items()} for t, by_prev in counts.items()}
        return self

    def _predict_task(self, task: str, histories: Iterable[list[str]]) -> list[str]:
        return [self.table[task].get(h[-1], self.fallback.top[task]) for h in histories]

    def predict(self, examples: pd.DataFrame) -> dict[str, list[str]]:
        return {task: self._predict_task(task, examples["history"]) for task in TASK_TARGETS}
