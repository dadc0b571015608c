"""Evidence-grounded multi-persona induction (pure library; Dagster wiring lives elsewhere).

memories -> memory_features / memory_clusters -> heuristic_writer (baseline, SFT teacher)
-> quality (cohesion, alignment, truthfulness via claims, specificity, label focus)
-> policy_tokenizer / policy_model / policy_sft (π0) -> sampling
-> listwise_dpo (Plackett–Luce loss) + groupwise_trainer (trl DPOTrainer) -> groupwise_dpo (rounds).
"""

from datasets.utils import logging as _datasets_logging

# trl tokenizes each round's groups with a progress bar per call; runs report their own progress.
_datasets_logging.disable_progress_bar()
