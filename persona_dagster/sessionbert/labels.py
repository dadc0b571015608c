"""Label vocabularies for the classification heads, with an 'other' bucket for unseen labels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

OTHER = "[other]"


@dataclass(frozen=True)
class LabelVocab:
    """Index 0 is OTHER; the rest are training labels, most frequent first."""

    labels: tuple[str, ...]

    @classmethod
    def build(cls, labels: Iterable[str], min_count: int = 1, max_size: int | None = None) -> LabelVocab:
        counts = Counter(labels)
        kept = sorted((label for label, c in counts.items() if c >= min_count), key=lambda label: (-counts[label], label))
        return cls((OTHER, *kept[:max_size]))

    def __len__(self) -> int:
        return len(self.labels)

    def encode(self, labels: Sequence[str]) -> torch.Tensor:
        index = {label: i for i, label in enumerate(self.labels)}
        return torch.tensor([index.get(label, 0) for label in labels], dtype=torch.long)

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.labels[i] for i in ids]
