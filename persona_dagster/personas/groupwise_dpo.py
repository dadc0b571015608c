"""Rounds of groupwise DPO: sample K personas per cluster, score, rank, train on the ranking."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from datasets import Dataset
from peft import PeftModel
from transformers import PreTrainedModel, PreTrainedTokenizerBase
from transformers.trainer_callback import PrinterCallback
from trl import DPOConfig

from persona_dagster.personas.groupwise_trainer import GroupwiseDPOTrainer
from persona_dagster.personas.induction_tasks import InductionTask
from persona_dagster.personas.listwise_dpo import reward_accuracy
from persona_dagster.personas.policy_model import frozen_copy
from persona_dagster.personas.quality import PersonaScorer
from persona_dagster.personas.sampling import SamplingParams, sample_completions

# Sampling seeds of successive rounds are this far apart, so no round reuses another's samples.
_ROUND_SEED_STRIDE = 1000


@dataclass(frozen=True)
class GroupwiseParams:
    """Defaults for small policies trained here; trl's lr=1e-6, bf16 and gradient checkpointing suit large ones.

    Measured on the toy clusters (20 prompts, tiny policy after SFT, quality over 640 samples):
    plain SGD rather than AdamW, because Adam's normalised steps move every weight of a small
    freshly fine-tuned policy by about lr whatever its gradient, eroding what SFT taught faster than
    the ranking improves it (AdamW at 3e-5..1e-3 left quality flat or lower); and K=16 candidates,
    one group per step (K=4 lost quality, K=8 gained in most seeds, K=16 gained +0.01..+0.05 in all
    twelve runs tried over toy, sampling and SFT settings).
    """

    rounds: int = 2
    beta: float = 0.1
    optimizer: str = "sgd"
    learning_rate: float = 0.02
    epochs_per_round: int = 2
    groups_per_batch: int = 1
    sampling: SamplingParams = field(default_factory=lambda: SamplingParams(k=16))
    bf16: bool = False
    seed: int = 0
    # The group holds K-1 samples and the SFT target (InductionTask.target), ranked together by the score (as
    # PRO, Song et al. 2023, ranks human answers among samples): the ranking then also says how far
    # the policy's own samples are from the text it was taught, not only which of them is best.
    # Off: on a development dataset (seed 8; 16 training clusters, K=4, one round, 6 held-out users)
    # it did not stop DPO from lowering the score below pi0's (-0.083 with it, -0.096 without).
    teacher_in_group: bool = False
    # Weight of the best candidate's per-token NLL added to the ranking loss (GroupwiseDPOTrainer);
    # 0 = the Plackett-Luce loss alone (the toy tests' setting); persona_policy's config sets 1.0.
    nll_weight: float = 0.0
    # Rank a candidate that names an entity its evidence does not support (hallucination rate > 0) below
    # every candidate that names none, then by the score: the score alone trades a wrong name for the
    # specificity and alignment it buys. Off: on a development dataset (seed 8; 24 SFT clusters, 4 DPO groups,
    # K=3, 20 held-out users, the same π0) πθ's hallucination rate was 0.163 with it, 0.108 without.
    truthful_first: bool = False


@dataclass(frozen=True)
class RoundResult:
    """What one sample -> score -> rank -> train round did."""

    round: int
    mean_quality: float  # of this round's samples, i.e. of the policy before the round's update
    n_groups: int
    losses: list[float]  # per optimisation step
    reward_accuracy: float  # after the update, on this round's groups


def ranked_group(completions: Sequence[str], scores: Sequence[float]) -> tuple[list[str], list[float]] | None:
    """Distinct completions, best first; None when the group holds no preference (fewer than 2, or all tied)."""
    best: dict[str, float] = {}
    for text, score in zip(completions, scores, strict=True):
        best.setdefault(text, score)
    if len(best) < 2 or len(set(best.values())) < 2:
        return None
    ranked = sorted(best.items(), key=lambda item: -item[1])  # stable: ties keep sampling order
    return [t for t, _ in ranked], [s for _, s in ranked]


def truthful_first_scores(task: InductionTask, completions: Sequence[str], scores: Sequence[float],
                          scorer: PersonaScorer) -> list[float]:
    """Ranking scores: each score, minus 1 where the completion names an entity its evidence does not support.

    Scores lie in [0, 1], so every such completion ranks below every one that names none.
    """
    return [s - float(task.hallucination_rate(scorer, c) > 0) for c, s in zip(completions, scores, strict=True)]


def sampled_quality(
    policy: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    tasks: Sequence[InductionTask],
    scorer: PersonaScorer,
    sampling: SamplingParams,
) -> tuple[list[list[str]], list[list[float]]]:
    """Sample K completions per task and their final quality scores."""
    samples = sample_completions(policy, tokenizer, [t.prompt for t in tasks], sampling)
    scores = [[t.score(scorer, c).final for c in cs] for t, cs in zip(tasks, samples, strict=True)]
    return samples, scores


def _dpo_config(params: GroupwiseParams, round_index: int, output_dir: str) -> DPOConfig:
    return DPOConfig(
        output_dir=output_dir,
        beta=params.beta,
        optim=params.optimizer,
        learning_rate=params.learning_rate,
        lr_scheduler_type="constant",
        num_train_epochs=params.epochs_per_round,
        per_device_train_batch_size=params.groups_per_batch,
        per_device_eval_batch_size=params.groups_per_batch,
        bf16=params.bf16,
        activation_checkpointing=False,  # trl turns (gradient) checkpointing on by default
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        max_length=None,
        dataloader_pin_memory=torch.cuda.is_available(),
        seed=params.seed + round_index,
    )


def _undo_trainer_patches(policy: PreTrainedModel) -> None:
    """Leave the policy as a plain model, so later rounds (and saving) see no trainer state."""
    base = policy.get_base_model() if isinstance(policy, PeftModel) else policy
    # DPOTrainer patched forward on the instance with a fused LM head; drop it.
    base.__dict__.pop("forward", None)
    if isinstance(policy, PeftModel) and "ref" in policy.peft_config:
        # The round's frozen reference adapter; the next round copies a fresh one.
        policy.delete_adapter("ref")
        policy.set_adapter("default")


def train_groupwise_dpo(
    policy: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    tasks: Sequence[InductionTask],
    scorer: PersonaScorer,
    params: GroupwiseParams = GroupwiseParams(),
    output_dir: str | None = None,
) -> list[RoundResult]:
    """Train the policy in place; each round's reference is the policy frozen at the round's start
    (a LoRA policy: the frozen backbone with a frozen copy of the adapter)."""
    if params.teacher_in_group and params.sampling.k < 2:
        raise ValueError(f"a group with the teacher needs K >= 2 (one sample at least), got K={params.sampling.k}")
    results = []
    for r in range(params.rounds):
        k = params.sampling.k - 1 if params.teacher_in_group else params.sampling.k
        sampling = replace(params.sampling, k=k, seed=params.sampling.seed + _ROUND_SEED_STRIDE * (r + 1))
        samples, scores = sampled_quality(policy, tokenizer, tasks, scorer, sampling)
        mean_quality = float(np.mean(scores))  # of the policy's own samples
        if params.teacher_in_group:
            samples = [[*cs, t.target.text] for t, cs in zip(tasks, samples, strict=True)]
            scores = [[*ss, t.score(scorer, t.target.text).final] for t, ss in zip(tasks, scores, strict=True)]
        if params.truthful_first:
            scores = [truthful_first_scores(t, cs, ss, scorer) for t, cs, ss in zip(tasks, samples, scores, strict=True)]
        groups = [(t, ranked_group(cs, ss)) for t, cs, ss in zip(tasks, samples, scores, strict=True)]
        rows = [{"prompt": t.prompt, "completions": g[0], "scores": g[1]} for t, g in groups if g is not None]
        if not rows:
            results.append(RoundResult(r, mean_quality, 0, [], float("nan")))
            continue
        lora = isinstance(policy, PeftModel)
        with tempfile.TemporaryDirectory() as scratch:
            trainer = GroupwiseDPOTrainer(
                model=policy, ref_model=None if lora else frozen_copy(policy),
                args=_dpo_config(params, r, output_dir or scratch),
                train_dataset=Dataset.from_list(rows), processing_class=tokenizer, nll_weight=params.nll_weight,
            )
            trainer.remove_callback(PrinterCallback)
            trainer.train()
            rewards, group_scores, valid = trainer.group_rewards()
        _undo_trainer_patches(policy)
        losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
        accuracy = float(reward_accuracy(rewards, group_scores, valid).mean())
        results.append(RoundResult(r, mean_quality, len(rows), losses, accuracy))
    policy.eval()
    return results
