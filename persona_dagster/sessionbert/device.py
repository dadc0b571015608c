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


# Torch CPU threads for training steps; None = torch's default (every core). Measured on 2 idle
# cores: the small preset steps 1.45x (batch 32) to 1.7x (batch 192) faster on 2 threads than on 1,
# the tiny preset about the same. With another CPU-bound process on the cores, 2 threads were 5x
# SLOWER than 1 (spinning threads): set 1 where runs share cores. Here every training asset is in
# the one-slot duckdb pool, so a deployment runs one training step at a time.
DEFAULT_CPU_THREADS: int | None = None


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Temporarily cap torch's CPU threads (None: leave as is); see DEFAULT_CPU_THREADS for when to cap."""
    if n is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
