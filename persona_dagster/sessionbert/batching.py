"""Batches of sequence indices (length-bucketed or naive) and padding them into tensors."""

from __future__ import annotations

from collections.abc import Sequence

import torch

# Sort by length within chunks of this many batches: enough to group similar lengths,
# few enough that each epoch still mixes the corpus.
CHUNK_BATCHES = 50


def _permutation(n: int, generator: torch.Generator) -> list[int]:
    return torch.randperm(n, generator=generator).tolist()


def bucketed_batches(
    lengths: Sequence[int], batch_size: int, generator: torch.Generator, chunk_batches: int = CHUNK_BATCHES
) -> list[list[int]]:
    """Shuffle, sort by length inside large chunks, cut into batches, shuffle the batches."""
    order = _permutation(len(lengths), generator)
    chunk = batch_size * chunk_batches
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[b : b + batch_size] for b in range(0, len(part), batch_size))
    return [batches[i] for i in _permutation(len(batches), generator)]


def shuffled_batches(n: int, batch_size: int, generator: torch.Generator) -> list[list[int]]:
    """The naive baseline: random batches, lengths mixed."""
    order = _permutation(n, generator)
    return [order[b : b + batch_size] for b in range(0, n, batch_size)]


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Inference batches: globally sorted by length, so padding is minimal and order is deterministic."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    return [order[b : b + batch_size] for b in range(0, len(order), batch_size)]


def pad_batch(
    seqs: Sequence[Sequence[int]], pad_id: int, pad_to: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask) padded on the right to the batch max, or to pad_to (the naive path)."""
    width = pad_to or max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, seq in enumerate(seqs):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def padding_fraction(batches: Sequence[Sequence[int]], lengths: Sequence[int], pad_to: int | None = None) -> float:
    """Share of padded positions over all positions the model would process."""
    real = sum(lengths[i] for b in batches for i in b)
    total = sum(len(b) * (pad_to or max(lengths[i] for i in b)) for b in batches)
    return 1.0 - real / total
