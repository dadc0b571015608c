"""Versioned model directories under <data dir>/models/<name>/<version>, with a `current` pointer.

A version is the content hash of the directory, so the same weights always get the same
version and anything derived from a model (embeddings) can say exactly which model made it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredModel:
    name: str
    version: str
    path: Path


class ModelNotFoundError(LookupError):
    """No published model of that name: materialize the asset that trains it first."""


def content_version(directory: Path) -> str:
    """12 hex digits of the sha256 over the directory's file names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def publish(source_dir: Path, store_root: Path, name: str, extra: dict | None = None) -> StoredModel:
    """Copy a trained model directory into the store under its content version and make it current."""
    version = content_version(source_dir)
    target = Path(store_root) / name / version
    if not target.exists():
        staging = target.with_name(f".{version}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source_dir, staging)
        os.replace(staging, target)
    pointer = Path(store_root) / name / "current.json"
    tmp = pointer.with_name(".current.json.tmp")
    tmp.write_text(json.dumps({"version": version, **(extra or {})}, indent=2, sort_keys=True))
    os.replace(tmp, pointer)
    return StoredModel(name, version, target)


def current(store_root: Path, name: str) -> StoredModel:
    pointer = Path(store_root) / name / "current.json"
    if not pointer.exists():
        raise ModelNotFoundError(f"no published model {name!r} under {store_root}: materialize the asset that trains it")
    version = json.loads(pointer.read_text())["version"]
    return StoredModel(name, version, Path(store_root) / name / version)


def current_metadata(store_root: Path, name: str) -> dict:
    return json.loads((Path(store_root) / name / "current.json").read_text())


def previous_model_with_tokenizer(store_root: Path, name: str, tokenizer_version: str, preset: str) -> StoredModel | None:
    """The current model when it was trained with this tokenizer and preset: retraining warm-starts from it."""
    pointer = Path(store_root) / name / "current.json"
    if not pointer.exists():
        return None
    facts = json.loads(pointer.read_text())
    if facts.get("tokenizer_version") != tokenizer_version or facts.get("preset") != preset:
        return None
    return current(store_root, name)
