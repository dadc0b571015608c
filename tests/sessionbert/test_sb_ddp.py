"""MLM training under DistributedDataParallel (2 CPU processes, gloo) gives the weights of one process on the same global batches."""

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from transformers import PreTrainedTokenizerFast

from persona_dagster.sessionbert.config import build_mlm_model
from persona_dagster.sessionbert.encoding import encode_sessions
from persona_dagster.sessionbert.masking import MaskingSpec
from persona_dagster.sessionbert.pretrain import mlm_step_loss
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig, train_loop

STEPS = 6


def _train(rank: int, world: int, tokenizer_dir: str, init_file: str, out: str) -> None:
    """Train the tiny preset for STEPS global batches of 8; rank 0 saves the weights to `out`."""
    if world > 1:
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        tok = PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)
        texts = list(toy_sessions(96, seed=0)["sequence"])
        ids = encode_sessions(tok, texts, 64)
        torch.manual_seed(0)
        model = build_mlm_model("tiny", tok)
        for module in model.modules():  # dropout draws differ by rank; the comparison is of the arithmetic
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
        cfg = TrainConfig(batch_size=8, max_steps=STEPS, lr=3e-3, max_len=64, log_every=STEPS, cpu_threads=1)
        step_loss = mlm_step_loss(ids, MaskingSpec.from_tokenizer(tok, 0.15), tok.pad_token_id, None)
        train_loop(model, [len(s) for s in ids], step_loss, cfg)
        if rank == 0:
            torch.save(model.state_dict(), out)
    finally:
        if world > 1:
            dist.destroy_process_group()


def test_two_ddp_processes_match_one_process(tmp_path):
    tokenizer_dir = tmp_path / "tokenizer"
    train_tokenizer(list(toy_sessions(96, seed=0)["sequence"])).save_pretrained(tokenizer_dir)
    initial = {k: v.clone() for k, v in build_mlm_model("tiny", PreTrainedTokenizerFast.from_pretrained(tokenizer_dir)).state_dict().items()}
    mp.spawn(_train, args=(2, str(tokenizer_dir), str(tmp_path / "init"), str(tmp_path / "ddp.pt")), nprocs=2)
    _train(0, 1, str(tokenizer_dir), "", str(tmp_path / "single.pt"))
    ddp, single = torch.load(tmp_path / "ddp.pt"), torch.load(tmp_path / "single.pt")
    assert ddp.keys() == single.keys()
    for name in single:
        torch.testing.assert_close(ddp[name], single[name], rtol=1e-4, atol=1e-5, msg=name)
    # Training moved the weights, so the equality is not that of two untouched models.
    assert any(not torch.allclose(single[k], initial[k]) for k in single if k in initial)
