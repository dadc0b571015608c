"""Run config of the persona-induction assets; defaults fit `make demo` on 2 CPU cores."""

import dagster as dg


class PersonaPolicyConfig(dg.Config):
    """Which users train the policy, its size, SFT epochs and groupwise-DPO rounds."""

    max_users: int = 60
    preset: str = "tiny"
    max_prompt_tokens: int = 128
    sft_epochs: int = 45
    dpo_rounds: int = 2
    candidates: int = 16
    eval_samples: int = 8
    cpu_threads: int = 1
    seed: int = 0
