"""Run config of the segment and recommendation assets."""

import dagster as dg

from persona_dagster.sessionbert.contrastive import ContrastiveConfig
from persona_dagster.sessionbert.device import DEFAULT_CPU_THREADS


class SegmentsConfig(dg.Config):
    """Silhouette sweep range and the persona map's top activities per cluster."""

    k_min: int = 4
    k_max: int = 12
    top_activities: int = 20
    seed: int = 0


class RecommendationEvaluationConfig(SegmentsConfig):
    """Seen-day splits (the paper's 6/10/12), the per-split fine-tuning budget, and the TF-IDF sweep range."""

    seen_days: list[int] = [6, 10, 12]
    valid_days: int = 2  # the last seen days of each split choose the recommender's knobs
    encoder_epochs: int = 2  # masked-LM epochs of the split-safe encoder
    encoder_preset: str = "small"
    contrastive_steps: int = ContrastiveConfig.steps  # the encoder's user-level stage, as in sessionbert_user_encoder
    paper_rule: bool = True  # also score the paper's vote rule (one fine-tuning per split)
    finetune_epochs: int = 2
    max_sessions: int = 20_000
    cpu_threads: int | None = DEFAULT_CPU_THREADS


class RecommenderConfig(dg.Config):
    """How many of the last days choose the adoption recommender's knobs before it is refit on every day."""

    valid_days: int = 2
