"""Resumable checkpoints: safetensors weights + a tensors-only trainer state, written atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "trainer_state.pt"
_PREFIX = "step-"


def checkpoint_dirs(root: str | Path) -> list[Path]:
    """Complete checkpoints under root, oldest first (half-written ones live under a temp name)."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(_PREFIX))


def latest_checkpoint(root: str | Path) -> Path | None:
    dirs = checkpoint_dirs(root)
    return dirs[-1] if dirs else None


def save_checkpoint(
    root: str | Path, step: int, model: torch.nn.Module, state: dict[str, Any], keep: int = 2
) -> Path:
    """Write weights (save_pretrained, safetensors) and trainer state; keep only the newest `keep`."""
    root = Path(root)
    final, tmp = root / f"{_PREFIX}{step:08d}", root / f".{_PREFIX}{step:08d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp)
    torch.save(state, tmp / STATE_FILE)
    shutil.rmtree(final, ignore_errors=True)
    # The rename is the commit point: a crash before it leaves the previous checkpoint as latest.
    os.replace(tmp, final)
    for old in checkpoint_dirs(root)[:-keep]:
        shutil.rmtree(old)
    return final


def load_weights(model: torch.nn.Module, directory: str | Path) -> None:
    """Load model.safetensors into an existing model; only tied copies may be absent from the file."""
    device = next(model.parameters()).device
    tensors = load_file(Path(directory) / WEIGHTS_FILE, device=str(device))
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    tied = set(getattr(model, "_tied_weights_keys", None) or ())
    if unexpected or set(missing) - tied:
        raise ValueError(f"checkpoint {directory} does not match the model: missing={missing} unexpected={unexpected}")


def load_checkpoint(directory: str | Path, model: torch.nn.Module) -> dict[str, Any]:
    """Restore weights into model and return the trainer state (loaded with weights_only=True)."""
    load_weights(model, directory)
    return torch.load(Path(directory) / STATE_FILE, map_location="cpu", weights_only=True)
