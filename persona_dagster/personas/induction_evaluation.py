"""Writers judged on held-out users: (a) the training score, (b) the independent judge vs true personas,
(c) Hit@k on items new to the user after the cutoff, (d) hallucination rate; each with a 95% bootstrap interval."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from persona_dagster.evaluation.intervals import bootstrap_interval, paired_difference
from persona_dagster.personas.future_interactions import ks_for, new_items, rank_by_history, rank_by_named, user_hits
from persona_dagster.personas.induction_run import InductionSetup
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.persona_judge import Catalogue, judge_user, named_entities, unsupported_share
from persona_dagster.personas.quality import Persona

# {writer: per task, the texts it wrote (one per sample)}
WriterTexts = Mapping[str, Sequence[Sequence[str]]]


def _by_user(values: Mapping[str, list[float]]) -> dict[str, float]:
    return {u: float(np.mean(v)) for u, v in values.items() if v}


def per_user_metrics(setup: InductionSetup, texts: Sequence[Sequence[str]], catalogue: Catalogue,
                     truth: Mapping[str, Sequence[str]] | None, future: Mapping[str, set[str]],
                     seen: Mapping[str, set[str]], popularity: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """{metric: {user: value}} for one writer; every sample index s is one full set of the user's personas."""
    by_id = {m.memory_id: m for m in setup.memories}
    items = sorted(catalogue.activity_task)
    ks = ks_for(len(items))
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    unsupported: Counter[str] = Counter()
    total: Counter[str] = Counter()
    reward_unsupported: Counter[str] = Counter()
    reward_total: Counter[str] = Counter()
    n_samples = min(len(t) for t in texts)
    for s in range(n_samples):
        personas: dict[str, list[Persona]] = defaultdict(list)
        for task, written in zip(setup.tasks, texts, strict=True):
            persona = Persona.from_text(written[s], task.evidence_ids)
            personas[task.user_id].append(persona)
            out["training_score"][task.user_id].append(task.score(setup.scorer, written[s]).final)
            evidence = [by_id[i] for i in task.evidence_ids]
            bad, n = unsupported_share(named_entities(persona.text, catalogue), [p for m in evidence for p in m.pages],
                                       [m.intent for m in evidence if m.is_task])
            unsupported[task.user_id] += bad
            total[task.user_id] += n
            # The reward's own claim checker's view of the same text, beside the judge's.
            reward_named, reward_bad = setup.scorer.entity_support(persona)
            reward_unsupported[task.user_id] += reward_bad
            reward_total[task.user_id] += reward_named
        for user, written in personas.items():
            if truth is not None and user in truth:
                for name, value in judge_user([(p.label, p.description) for p in written], truth[user],
                                              catalogue).items():
                    out[name][user].append(value)
            if future.get(user):
                named = [named_entities(p.text, catalogue) for p in written]
                ranked = rank_by_named(named, [i for i in items if i not in seen.get(user, set())], catalogue,
                                       popularity)
                for k in ks:
                    out[f"hit@{k}"][user].append(user_hits({user: ranked}, future, k)[user])
    metrics = {name: _by_user(values) for name, values in out.items()}
    metrics["hallucination_rate"] = {u: unsupported[u] / total[u] for u in total if total[u]}
    metrics["reward_hallucination_rate"] = {u: reward_unsupported[u] / reward_total[u]
                                            for u in reward_total if reward_total[u]}
    return metrics


def baseline_hits(setup: InductionSetup, catalogue: Catalogue, future: Mapping[str, set[str]],
                  seen: Mapping[str, set[str]], popularity: Mapping[str, float]) -> dict[str, dict[str, dict[str, float]]]:
    """Hit@k per user of popularity and of the user's own history, over the same new-item candidates."""
    items = sorted(catalogue.activity_task)
    users = sorted({t.user_id for t in setup.tasks} & {u for u, f in future.items() if f})
    rankings = {"popularity": {}, "own_history": {}}
    for user in users:
        candidates = [i for i in items if i not in seen.get(user, set())]
        rankings["popularity"][user] = sorted(candidates, key=lambda i: (-popularity.get(i, 0.0), i))
        rankings["own_history"][user] = rank_by_history(sorted(seen.get(user, set())), candidates, catalogue,
                                                        popularity)
    return {name: {f"hit@{k}": user_hits(ranked, future, k) for k in ks_for(len(items))}
            for name, ranked in rankings.items()}


def item_futures(before: Sequence[IntentMemory], after: Sequence[IntentMemory]) -> tuple[dict, dict, dict]:
    """(seen items per user, new items per user after the cutoff, popularity before the cutoff)."""
    seen: dict[str, set[str]] = defaultdict(set)
    later: dict[str, set[str]] = defaultdict(set)
    popularity: Counter[str] = Counter()
    for m in before:
        seen[m.user_id].update(m.pages)
        popularity.update(set(m.pages))
    for m in after:
        later[m.user_id].update(m.pages)
    return dict(seen), new_items(seen, later), dict(popularity)


def summarise(per_user: Mapping[str, Mapping[str, Mapping[str, float]]]) -> list[dict[str, object]]:
    """One row per writer: each metric's mean, 95% interval and n over users."""
    rows = []
    for writer, metrics in per_user.items():
        row: dict[str, object] = {"writer": writer}
        for name, values in metrics.items():
            if values:
                interval = bootstrap_interval(list(values.values()))
                row[name] = interval["mean"]
                row[f"{name}_ci"] = [round(interval["lo"], 4), round(interval["hi"], 4)]
                row[f"{name}_n"] = interval["n"]
        rows.append(row)
    return rows


def paired(per_user: Mapping[str, Mapping[str, Mapping[str, float]]], a: str, b: str,
           metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    """mean(a - b) with its 95% interval over the users both writers were scored on, per metric."""
    out = {}
    for name in metrics:
        left, right = per_user.get(a, {}).get(name, {}), per_user.get(b, {}).get(name, {})
        users = sorted(set(left) & set(right))
        if users:
            out[name] = paired_difference([left[u] for u in users], [right[u] for u in users])
    return out
