"""Run config of the SessionBERT assets; the defaults fit `make demo` on 2 CPU cores."""

from __future__ import annotations

from dataclasses import replace

import dagster as dg

from persona_dagster.sessionbert.contrastive import ContrastiveConfig
from persona_dagster.sessionbert.device import DEFAULT_CPU_THREADS
from persona_dagster.sessionbert.experiments import ABLATION_LENGTHS
from persona_dagster.sessionbert.training import TrainConfig

STAGE_DEFAULTS = ContrastiveConfig()


class TrainingConfig(dg.Config):
    """Model size and training budget (use preset 'base-gpu' and more epochs on a GPU)."""

    preset: str = "small"
    epochs: int = 2
    max_len: int = 128
    batch_size: int = 32
    lr: float = 1e-3
    vocab_size: int = 30_000
    max_sessions: int = 20_000  # the most recent sessions train the model
    cpu_threads: int | None = DEFAULT_CPU_THREADS
    seed: int = 0

    def train_config(self, lr: float | None = None, checkpoint_every: int | None = 200) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs, max_len=self.max_len, batch_size=self.batch_size, lr=lr or self.lr,
            seed=self.seed, cpu_threads=self.cpu_threads, checkpoint_every=checkpoint_every, log_every=10,
        )


class NextActivityTrainingConfig(TrainingConfig):
    """TrainingConfig plus the fine-tuning positions per session (None = every position, N = its last N)."""

    finetune_positions: int | None = None


class EvaluationConfig(dg.Config):
    """The paper's comparison: held-out share by time, models compared, sequence-length ablation."""

    preset: str = "small"
    epochs: int = 2
    max_sessions: int = 6_000
    test_fraction: float = 0.2
    ablation_lengths: list[int] = list(ABLATION_LENGTHS)
    ablation_max_sessions: int = 2_000
    ablation_preset: str = "tiny"
    finetune_positions: int | None = None  # as NextActivityTrainingConfig's
    prior_ablation: bool = True  # the row without the n-gram prior (one more fine-tuning)
    task_ablation: bool = True  # the single-task rows (one more fine-tuning per task)
    cpu_threads: int | None = DEFAULT_CPU_THREADS


class ContrastiveStageConfig(dg.Config):
    """Budget of the user-level contrastive stage; defaults are the library's (sessionbert/contrastive.py)."""

    steps: int = STAGE_DEFAULTS.steps
    batch_users: int = STAGE_DEFAULTS.batch_users
    group: int = STAGE_DEFAULTS.group
    lr: float = STAGE_DEFAULTS.lr
    max_sessions: int = 20_000
    cpu_threads: int | None = STAGE_DEFAULTS.cpu_threads

    def stage_config(self) -> ContrastiveConfig:
        return replace(STAGE_DEFAULTS, steps=self.steps, batch_users=self.batch_users, group=self.group,
                       lr=self.lr, cpu_threads=self.cpu_threads)
