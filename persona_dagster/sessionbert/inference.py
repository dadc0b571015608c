"""Batched no-grad inference over token-id lists, with length bucketing and dynamic padding."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch

from persona_dagster.sessionbert.batching import pad_batch, sorted_batches
from persona_dagster.sessionbert.device import autocast, module_device

# (input_ids, attention_mask) on the model's device -> {name: [batch, ...] tensor}; with row_inputs,
# a third argument: {name: that tensor's rows for the batch}.
BatchFn = Callable[..., dict[str, torch.Tensor]]


def map_batches(
    model: torch.nn.Module,
    fn: BatchFn,
    id_lists: Sequence[Sequence[int]],
    pad_id: int,
    batch_size: int = 128,
    pad_to: int | None = None,
    row_inputs: Mapping[str, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """fn over all sequences, results on CPU in input order.

    row_inputs: per-sequence tensors (first dimension = sequences) handed to fn batch by batch,
    in the batch's order, on the model's device (e.g. the next-activity model's prior log-probabilities).

    Default: sorted by length with each batch padded to its own max. pad_to pads every
    batch to that width in input order instead (the naive path, kept for benchmarks).
    """
    device = module_device(model)
    lengths = [len(s) for s in id_lists]
    if pad_to is None:
        batches = sorted_batches(lengths, batch_size)
    else:
        rows = list(range(len(lengths)))
        batches = [rows[b : b + batch_size] for b in range(0, len(rows), batch_size)]
    was_training = model.training
    model.eval()
    parts: dict[str, list[torch.Tensor]] = {}
    with torch.inference_mode(), autocast(device):
        for batch in batches:
            input_ids, attention_mask = pad_batch([id_lists[i] for i in batch], pad_id, pad_to)
            args = [input_ids.to(device, non_blocking=True), attention_mask.to(device, non_blocking=True)]
            if row_inputs is not None:
                rows = torch.tensor(batch, dtype=torch.long)
                args.append({name: value[rows].to(device, non_blocking=True) for name, value in row_inputs.items()})
            out = fn(*args)
            for name, value in out.items():
                # bf16 activations come back as float32; indices stay integers.
                parts.setdefault(name, []).append((value.float() if value.is_floating_point() else value).cpu())
    model.train(was_training)
    order = torch.tensor([i for b in batches for i in b], dtype=torch.long)
    results = {}
    for name, chunks in parts.items():
        stacked = torch.cat(chunks)
        results[name] = torch.empty_like(stacked).index_copy_(0, order, stacked)
    return results
