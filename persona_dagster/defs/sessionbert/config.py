"""Run config of the SessionBERT assets; the defaults fit `make demo` on 2 CPU cores."""

from __future__ import annotations

import dagster as dg

from persona_dagster.sessionbert.training import TrainConfig


class TrainingConfig(dg.Config):
    """Model size and training budget (use preset 'base-gpu' and more epochs on a GPU)."""

    preset: str = "small"
    epochs: int = 2
    max_len: int = 128
    batch_size: int = 32
    lr: float = 1e-3
    vocab_size: int = 30_000
    max_sessions: int = 20_000  # the most recent sessions train the model
    # Measured: a small model trains ~10x faster on 1 thread than 2 on a 2-core machine with
    # anything else running (intra-op threading of small matrices costs more than it saves).
    cpu_threads: int | None = 1
    seed: int = 0

    def train_config(self, lr: float | None = None, checkpoint_every: int | None = 200) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs, max_len=self.max_len, batch_size=self.batch_size, lr=lr or self.lr,
            seed=self.seed, cpu_threads=self.cpu_threads, checkpoint_every=checkpoint_every, log_every=10,
        )


class EvaluationConfig(dg.Config):
    """The paper's comparison: held-out share by time, models compared, sequence-length ablation."""

    preset: str = "small"
    epochs: int = 2
    max_sessions: int = 6_000
    test_fraction: float = 0.2
    ablation_lengths: list[int] = [64, 128, 512]
    ablation_max_sessions: int = 2_000
    ablation_preset: str = "tiny"
    cpu_threads: int | None = 1


class ContrastiveStageConfig(dg.Config):
    """Budget of the user-level contrastive stage (sessionbert/contrastive.py)."""

    steps: int = 150
    batch_users: int = 32
    group: int = 3
    lr: float = 3e-4
    max_sessions: int = 20_000
    cpu_threads: int | None = 1
