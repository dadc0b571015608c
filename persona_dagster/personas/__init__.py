"""Evidence-grounded multi-persona induction (pure library; Dagster wiring lives elsewhere).

memories -> memory_features / memory_clusters -> heuristic_writer (baseline, SFT teacher)
-> quality (cohesion, alignment, truthfulness via claims, specificity)
-> policy_tokenizer / policy_model / policy_sft (π0) -> sampling
-> listwise_dpo (Plackett–Luce loss) + groupwise_trainer (trl DPOTrainer) -> groupwise_dpo (rounds).
"""
