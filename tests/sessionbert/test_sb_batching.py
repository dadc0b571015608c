"""Length bucketing and dynamic padding: every example once, far less padding than naive batches."""

import torch

from persona_dagster.sessionbert.batching import (
    bucketed_batches,
    pad_batch,
    padding_fraction,
    shuffled_batches,
    sorted_batches,
)
from persona_dagster.sessionbert.toy import toy_sessions


def _lengths() -> list[int]:
    # Token lengths of skewed toy sessions: 2 tokens per activity plus [CLS], [activity], [SEP].
    return [2 * len(a) + 2 for a in toy_sessions(2000, seed=3)["activities"]]


def test_bucketed_batches_cover_every_example_once_and_are_seeded():
    lengths = _lengths()
    batches = bucketed_batches(lengths, 32, torch.Generator().manual_seed(0))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 32 for b in batches)
    assert batches == bucketed_batches(lengths, 32, torch.Generator().manual_seed(0))
    assert batches != bucketed_batches(lengths, 32, torch.Generator().manual_seed(1))


def test_bucketing_pads_less_than_naive_batches():
    lengths = _lengths()
    bucketed = padding_fraction(bucketed_batches(lengths, 32, torch.Generator().manual_seed(0)), lengths)
    naive_dynamic = padding_fraction(shuffled_batches(len(lengths), 32, torch.Generator().manual_seed(0)), lengths)
    naive_fixed = padding_fraction(shuffled_batches(len(lengths), 32, torch.Generator().manual_seed(0)), lengths, pad_to=128)
    assert bucketed < 0.1
    assert bucketed < naive_dynamic / 3 < naive_fixed


def test_sorted_batches_are_deterministic_and_sorted():
    lengths = [5, 3, 9, 3, 1]
    assert sorted_batches(lengths, 2) == [[4, 1], [3, 0], [2]]


def test_pad_batch_dynamic_and_fixed():
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0]]
    ids, mask = pad_batch([[5, 6, 7], [8]], pad_id=0, pad_to=5)
    assert ids.shape == (2, 5) and mask.sum().item() == 4
