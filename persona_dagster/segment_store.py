"""Persist a segmentation (unit centroids + facts) in the model store, without pickles."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from persona_dagster.model_store import StoredModel, current, publish

NAME = "user_segments"


def save_segmentation(store_root: Path, centroids: np.ndarray, facts: dict) -> StoredModel:
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "centroids.npy", np.asarray(centroids, dtype=np.float32), allow_pickle=False)
        (Path(tmp) / "segmentation.json").write_text(json.dumps(facts, sort_keys=True, default=float))
        return publish(Path(tmp), store_root, NAME)


def load_segmentation(store_root: Path) -> tuple[StoredModel, np.ndarray, dict]:
    stored = current(store_root, NAME)
    centroids = np.load(stored.path / "centroids.npy", allow_pickle=False)
    return stored, centroids, json.loads((stored.path / "segmentation.json").read_text())
