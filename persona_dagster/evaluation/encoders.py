"""Tokenizer + masked-LM encoder trained only on sessions up to a cutoff day, cached per cutoff and content."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from transformers import PreTrainedTokenizerFast

from persona_dagster.evaluation.protocol import assert_no_leak, before_or_on
from persona_dagster.sessionbert.contrastive import ContrastiveConfig, train_user_contrastive
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert import tokenizer as tokenizers
from persona_dagster.sessionbert.training import TrainConfig

MODEL_DIR = "model"


@dataclass(frozen=True)
class CutoffEncoder:
    """A loadable MLM directory (weights + tokenizer) that saw only sessions on or before `cutoff`."""

    cutoff: dt.date
    path: Path
    n_sessions: int
    cached: bool

    def tokenizer(self) -> PreTrainedTokenizerFast:
        return tokenizers.load_tokenizer(self.path)


def _cache_key(texts: list[str], cutoff: dt.date, cfg: TrainConfig, preset: str, vocab_size: int) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    setting = json.dumps({"cutoff": cutoff.isoformat(), "cfg": asdict(cfg), "preset": preset, "vocab": vocab_size},
                         sort_keys=True, default=str)
    digest.update(setting.encode())
    return f"{cutoff.isoformat()}-{digest.hexdigest()[:12]}"


def encoder_for_cutoff(sessions: pd.DataFrame, cutoff: dt.date, cache_root: Path, cfg: TrainConfig,
                       preset: str = "small", vocab_size: int = tokenizers.DEFAULT_VOCAB_SIZE) -> CutoffEncoder:
    """Train (or reuse) the session tokenizer and masked-LM on the sessions of days <= cutoff only."""
    seen = before_or_on(sessions, cutoff)
    if seen.empty:
        raise ValueError(f"no session on or before {cutoff}: an encoder for that cutoff has nothing to learn from")
    assert_no_leak(seen, cutoff, "encoder training sessions")
    texts = list(seen["sequence"])
    folder = Path(cache_root) / _cache_key(texts, cutoff, cfg, preset, vocab_size)
    # pretrain_mlm writes model/ (weights + tokenizer) only once training finished: its presence is the cache hit.
    if (folder / MODEL_DIR / "config.json").exists():
        return CutoffEncoder(cutoff, folder / MODEL_DIR, len(texts), cached=True)
    tokenizer = tokenizers.train_tokenizer(texts, vocab_size, "session")
    result = pretrain_mlm(texts, tokenizer, folder, cfg, preset)
    return CutoffEncoder(cutoff, result.model_dir, len(texts), cached=False)


def user_stage_for_cutoff(sessions: pd.DataFrame, encoder: CutoffEncoder, cfg: ContrastiveConfig) -> Path:
    """The contrastive user stage on top of a cutoff encoder, trained on the same days only; cached beside it."""
    seen = before_or_on(sessions, encoder.cutoff)
    assert_no_leak(seen, encoder.cutoff, "contrastive stage sessions")
    out = encoder.path.parent / f"user-{cfg.steps}-{cfg.group}-{cfg.batch_users}-{cfg.seed}"
    if not (out / "config.json").exists():
        train_user_contrastive(seen, encoder.tokenizer(), encoder.path, out, cfg)
    return out
