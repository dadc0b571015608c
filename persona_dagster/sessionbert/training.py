"""The one training loop (MLM pretraining and fine-tuning share it): AdamW, warmup/decay, clipping, resume.

Under `torchrun` (torch.distributed initialized) the model trains as DistributedDataParallel: every
rank draws the same global batches and each computes the rows `local_rows` gives it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR

from persona_dagster.sessionbert.batching import bucketed_batches, shuffled_batches
from persona_dagster.sessionbert.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from persona_dagster.sessionbert.device import autocast, cpu_threads, pick_device, prepare_device

# (model, batch of example indices, generator) -> (mean loss, real tokens in the batch); under DDP the
# model comes wrapped: step_loss calls it through `forward` and computes only its `local_rows`.
StepLoss = Callable[[torch.nn.Module, list[int], torch.Generator], tuple[torch.Tensor, int]]
Evaluate = Callable[[torch.nn.Module], dict[str, float]]
OnLog = Callable[[int, dict[str, float]], None]


@dataclass
class TrainConfig:
    """Knobs shared by pretraining and fine-tuning."""

    batch_size: int = 32
    max_len: int = 128
    lr: float = 5e-4
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    epochs: int = 1
    max_steps: int | None = None  # when set, overrides epochs (cycling through the data as needed)
    grad_clip: float = 1.0
    log_every: int = 10
    eval_every: int | None = None  # besides the final evaluation
    checkpoint_every: int | None = None
    keep_checkpoints: int = 2
    seed: int = 0
    bucketing: bool = True  # False: random batches (pair with pad_to_max for the naive baseline)
    pad_to_max: bool = False
    device: str | None = None
    cpu_threads: int | None = None  # cap torch CPU threads during the run (see device.cpu_threads)


@dataclass
class TrainResult:
    """What a run did: the loss curve survives resumption; tokens and times are this process only."""

    steps: int
    loss_curve: list[tuple[int, float]]
    evals: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    tokens: int = 0
    train_seconds: float = 0.0
    wall_seconds: float = 0.0
    resumed_from_step: int | None = None
    device: str = "cpu"

    @property
    def tokens_per_second(self) -> float:
        """Real (non-pad) tokens per second of training compute, evaluation and checkpoints excluded."""
        return self.tokens / self.train_seconds if self.train_seconds else 0.0


def distributed() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) unless torch.distributed is initialized."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_rows(n: int) -> slice:
    """This rank's rows of a global batch of n (all of them in a single process)."""
    rank, world = distributed()
    return slice(rank, n, world)


def global_sum(value: float, device: torch.device) -> float:
    """`value` summed over the ranks (itself in a single process)."""
    if distributed()[1] == 1:
        return value
    total = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return total.item()


class _Through(torch.nn.Module):
    """Runs fn(model, *args) as its forward, so DDP syncs a loss that is not model.forward (masked_lm_loss_sum)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, fn: Callable, *args: object) -> object:
        return fn(self.model, *args)


def forward(trained: torch.nn.Module, fn: Callable, *args: object) -> object:
    """fn(model, *args) for the module step_loss receives: through DDP when it is wrapped."""
    return trained(fn, *args) if isinstance(trained, DistributedDataParallel) else fn(trained, *args)


def _train_device(prefer: str | None) -> torch.device:
    """pick_device, with each rank of a multi-GPU job on its own GPU (torchrun's LOCAL_RANK)."""
    if prefer is None and distributed()[1] > 1 and torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return pick_device(prefer)


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW without decay on biases and LayerNorm weights, the usual BERT recipe."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 else decay).append(param)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, fused=device.type == "cuda")


def linear_warmup_decay(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int) -> LambdaLR:
    """LR rises linearly to its peak over warmup_steps, then falls linearly to 0 at total_steps."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return LambdaLR(optimizer, factor)


def epoch_batches(lengths: Sequence[int], cfg: TrainConfig, epoch: int) -> list[list[int]]:
    """This epoch's batches, a pure function of (seed, epoch) so a resumed run sees the same order."""
    generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch)
    if cfg.bucketing:
        return bucketed_batches(lengths, cfg.batch_size, generator)
    return shuffled_batches(len(lengths), cfg.batch_size, generator)


def planned_steps(cfg: TrainConfig, n_examples: int) -> int:
    return cfg.max_steps or cfg.epochs * -(-n_examples // cfg.batch_size)


def _rng_state(generator: torch.Generator) -> dict[str, object]:
    state: dict[str, object] = {"generator": generator.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng(state: dict[str, object], generator: torch.Generator) -> None:
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class _Window:
    """Loss and tokens since the last log; its clock skips evaluation, checkpoint and logging pauses."""

    loss: torch.Tensor
    steps: int = 0
    tokens: int = 0
    start: float = field(default_factory=time.perf_counter)

    def add(self, loss: torch.Tensor, tokens: int) -> None:
        self.loss += loss.detach().float()  # stays on the device: no host sync per step
        self.steps, self.tokens = self.steps + 1, self.tokens + tokens

    def flush(self, result: TrainResult) -> dict[str, float]:
        """Close the window into result; {loss, tokens_per_s} for it."""
        elapsed = time.perf_counter() - self.start
        metrics = {"loss": self.loss.item() / self.steps, "tokens_per_s": self.tokens / elapsed}
        result.tokens += self.tokens
        result.train_seconds += elapsed
        self.loss.zero_()
        self.steps = self.tokens = 0
        self.start = time.perf_counter()
        return metrics

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        began = time.perf_counter()
        yield
        self.start += time.perf_counter() - began


def _evaluate(
    model: torch.nn.Module, evaluate: Evaluate, device: torch.device, step: int, result: TrainResult, on_log: OnLog | None
) -> None:
    model.eval()
    with torch.inference_mode(), autocast(device):
        metrics = {f"eval_{k}": v for k, v in evaluate(model).items()}
    model.train()
    result.evals.append((step, metrics))
    if on_log:
        on_log(step, metrics)


def _trainer_state(
    optimizer: torch.optim.Optimizer,
    scheduler: LambdaLR,
    generator: torch.Generator,
    step: int,
    epoch: int,
    position: int,
    result: TrainResult,
) -> dict[str, object]:
    """Everything besides the weights that a resumed run needs to continue bit-for-bit (tensors and plain types only)."""
    return {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": _rng_state(generator),
        "step": step,
        "epoch": epoch,
        "position": position,
        "loss_curve": [[s, v] for s, v in result.loss_curve],
    }


def train_loop(
    model: torch.nn.Module,
    lengths: Sequence[int],
    step_loss: StepLoss,
    cfg: TrainConfig,
    checkpoint_dir: str | Path | None = None,
    evaluate: Evaluate | None = None,
    on_log: OnLog | None = None,
) -> TrainResult:
    """Train in place, resuming from the latest checkpoint under checkpoint_dir when there is one."""
    with cpu_threads(cfg.cpu_threads):
        return _train(model, lengths, step_loss, cfg, checkpoint_dir, evaluate, on_log)


def _train(
    model: torch.nn.Module,
    lengths: Sequence[int],
    step_loss: StepLoss,
    cfg: TrainConfig,
    checkpoint_dir: str | Path | None,
    evaluate: Evaluate | None,
    on_log: OnLog | None,
) -> TrainResult:
    wall_start = time.perf_counter()
    device = _train_device(cfg.device)
    prepare_device(device)
    model.to(device)
    rank, world = distributed()
    main = rank == 0  # logs, evaluates and checkpoints; gradients are averaged by DDP, so every rank's weights agree
    trained = model if world == 1 else DistributedDataParallel(
        _Through(model), device_ids=[device.index] if device.type == "cuda" else None)
    torch.manual_seed(cfg.seed)  # dropout; restored from the checkpoint on resume
    generator = torch.Generator().manual_seed(cfg.seed)  # what step_loss draws from (MLM masks)
    total = planned_steps(cfg, len(lengths))
    optimizer = make_optimizer(model, cfg, device)
    scheduler = linear_warmup_decay(optimizer, max(1, int(cfg.warmup_fraction * total)), total)
    step, epoch, position = 0, 0, 0  # position: batches of this epoch already done
    result = TrainResult(steps=0, loss_curve=[], device=str(device))

    ckpt = latest_checkpoint(checkpoint_dir) if checkpoint_dir else None
    if ckpt is not None:
        state = load_checkpoint(ckpt, model)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        _restore_rng(state["rng"], generator)
        step, epoch, position = int(state["step"]), int(state["epoch"]), int(state["position"])
        result.loss_curve = [(int(s), float(v)) for s, v in state["loss_curve"]]
        result.resumed_from_step = step

    model.train()
    window = _Window(torch.zeros((), device=device))
    while step < total:
        batches = epoch_batches(lengths, cfg, epoch)
        while position < len(batches) and step < total:
            with autocast(device):
                loss, n_tokens = step_loss(trained, batches[position], generator)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step, position = step + 1, position + 1
            window.add(loss, n_tokens)

            if step % cfg.log_every == 0 or step == total:
                metrics = window.flush(result) | {"lr": scheduler.get_last_lr()[0], "epoch": float(epoch)}
                result.loss_curve.append((step, metrics["loss"]))
                if on_log and main:
                    with window.paused():
                        on_log(step, metrics)
            if main and evaluate and cfg.eval_every and step % cfg.eval_every == 0 and step < total:
                with window.paused():
                    _evaluate(model, evaluate, device, step, result, on_log)
            if main and checkpoint_dir and cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                with window.paused():
                    state = _trainer_state(optimizer, scheduler, generator, step, epoch, position, result)
                    save_checkpoint(checkpoint_dir, step, model, state, keep=cfg.keep_checkpoints)
        if position >= len(batches):
            epoch, position = epoch + 1, 0

    if evaluate and main:
        _evaluate(model, evaluate, device, step, result, on_log)
    result.steps = step
    result.wall_seconds = time.perf_counter() - wall_start
    return result
