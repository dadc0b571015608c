"""Where to train: CUDA with bf16 autocast when present, else CPU in float32."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """`prefer` if given ('cpu', 'cuda', 'cuda:1'), else CUDA when available."""
    if prefer:
        return torch.device(prefer)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA; on CPU plain float32, since CPU bf16 is slower on most hosts."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def module_device(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


def prepare_device(device: torch.device) -> None:
    """TF32 matmuls on CUDA: free speed for the float32 parts outside autocast."""
    if device.type == "cuda":
        torch.set_float32_matmul_precision("high")


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Temporarily cap torch's CPU threads (None: leave as is).

    Why: tiny models gain nothing from intra-op threads, and when several processes
    share the cores (parallel Dagster runs, test workers) spinning threads can make a
    step 10x slower.
    """
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
