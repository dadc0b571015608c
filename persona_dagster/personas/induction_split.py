"""Who and when the policy learns from: training users before a cutoff day; held-out users and later days judge it."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from persona_dagster.personas.memories import IntentMemory


@dataclass(frozen=True)
class InductionSplit:
    """Users are assigned by a hash of their id, so a user's side never changes as data grows."""

    train_users: tuple[str, ...]
    heldout_users: tuple[str, ...]
    cutoff: dt.date  # last day the policy and every writer may read

    def before(self, memories: Sequence[IntentMemory], users: Sequence[str]) -> list[IntentMemory]:
        wanted = set(users)
        return [m for m in memories if m.user_id in wanted and m.start_ts.date() <= self.cutoff]

    def after(self, memories: Sequence[IntentMemory], users: Sequence[str]) -> list[IntentMemory]:
        wanted = set(users)
        return [m for m in memories if m.user_id in wanted and m.start_ts.date() > self.cutoff]


def _bucket(user_id: str, seed: int) -> int:
    return int(hashlib.sha256(f"{seed}:{user_id}".encode()).hexdigest()[:8], 16)


def split_induction(
    memories: Sequence[IntentMemory], train_users: int, heldout_users: int, train_day_share: float = 0.7,
    seed: int = 0,
) -> InductionSplit:
    """The first users by hash train, the next ones are held out; the cutoff keeps train_day_share of the days."""
    users = sorted({m.user_id for m in memories}, key=lambda u: (_bucket(u, seed), u))
    days = sorted({m.start_ts.date() for m in memories})
    if not days:
        raise ValueError("no memories to split")
    cutoff = days[max(0, min(len(days) - 2, round(len(days) * train_day_share) - 1))]
    return InductionSplit(tuple(users[:train_users]), tuple(users[train_users:train_users + heldout_users]), cutoff)
