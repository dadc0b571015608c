"""Run config of the persona-induction assets; `make demo` shrinks it (persona_dagster/demo.py)."""

import dagster as dg

from persona_dagster.personas.backbone import SMOLLM2
from persona_dagster.sessionbert.device import DEFAULT_CPU_THREADS


class PersonaPolicyConfig(dg.Config):
    """Backbone, which users and days train and judge the policy, LoRA, SFT and groupwise-DPO budgets.

    backbone: 'smollm2-135m-instruct' (the packaged pretrained model), any local Hugging Face
    causal-LM directory (a larger one on a GPU), or 'tiny' (the from-scratch test fixture).
    """

    backbone: str = SMOLLM2
    max_users: int = 40  # training users (and the users of marts.induced_personas)
    heldout_users: int = 40  # judged only, never trained on
    train_day_share: float = 0.7  # days up to the cutoff; later days are the future that is predicted
    max_tasks: int = 120  # memory clusters the policy trains on (SFT on all of them)
    # DPO's groups come from the first this many of them (None: all): sampling K candidates per cluster
    # is what a DPO round costs, a supervised step over one cluster costs a fraction of that.
    dpo_max_tasks: int | None = None
    eval_max_tasks: int = 160
    max_prompt_tokens: int = 320
    lora_r: int = 8
    lora_alpha: int = 16
    sft_epochs: int = 3
    sft_learning_rate: float = 1e-3
    sft_batch_size: int = 4
    dpo_rounds: int = 2
    candidates: int = 8
    dpo_optimizer: str = "adamw_torch"
    dpo_learning_rate: float = 2e-4
    dpo_beta: float = 0.1
    dpo_epochs: int = 1
    dpo_teacher_in_group: bool = False  # K-1 samples + the SFT teacher's persona per group
    dpo_truthful_first: bool = False  # rank candidates naming unsupported entities last (GroupwiseParams)
    # + this x the best candidate's per-token NLL (RPO's anchor; GroupwiseParams). 1.0 (RPO's value): on the
    # development data it kept DPO from lowering the training score below π0's (+0.000 vs -0.096; README).
    dpo_nll_weight: float = 1.0
    max_new_tokens: int = 64
    temperature: float = 0.8
    top_k: int = 50
    eval_samples: int = 4  # per judged cluster when eval_temperature > 0
    # Decoding of the judged writers (zero-shot, π0, πθ): 0 = greedy, one deterministic persona per cluster,
    # what a consumer would be served without best-of-K; > 0 samples eval_samples at that temperature.
    eval_temperature: float = 0.0
    cpu_threads: int | None = DEFAULT_CPU_THREADS
    seed: int = 0
