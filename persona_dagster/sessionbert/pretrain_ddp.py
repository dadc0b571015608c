"""MLM pretraining as a `torchrun` job: one process per GPU (nccl) or CPU worker (gloo), DistributedDataParallel.

    torchrun --nproc-per-node 4 -m persona_dagster.sessionbert.pretrain_ddp \\
        --sessions 'data/published/current/marts/session_sequences/*.parquet' --out DIR

`--batch-size` is the global batch: each rank computes its share of every batch (training.local_rows),
so the weights match a single-process run of the same batches (tests/sessionbert/test_sb_ddp.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import os

import duckdb
import torch
import torch.distributed as dist

from persona_dagster.model_store import current
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.tokenizer import load_tokenizer
from persona_dagster.sessionbert.training import TrainConfig
from persona_dagster.settings import data_paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", required=True, help="Parquet files (glob) with a `sequence` column: marts.session_sequences")
    parser.add_argument("--tokenizer", help="a saved session tokenizer (default: the model store's current session_tokenizer)")
    parser.add_argument("--out", required=True, help="checkpoints/ and model/ are written here (rank 0)")
    parser.add_argument("--preset", default="small")
    defaults = TrainConfig()
    for name in ("batch_size", "max_len", "lr", "epochs", "max_steps", "seed", "checkpoint_every"):
        value = getattr(defaults, name)
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value) if value is not None else int, default=value)
    args = parser.parse_args()
    # torchrun sets WORLD_SIZE; a plain `python -m` run is a single process.
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        texts = [r[0] for r in duckdb.sql(f"select sequence from read_parquet({args.sessions!r}) order by session_key").fetchall()]
        cfg = dataclasses.replace(defaults, **{k: getattr(args, k) for k in
                                             ("batch_size", "max_len", "lr", "epochs", "max_steps", "seed", "checkpoint_every")})
        tokenizer = args.tokenizer or current(data_paths().models, "session_tokenizer").path
        result = pretrain_mlm(texts, load_tokenizer(tokenizer), args.out, cfg, preset=args.preset)
        if not distributed or dist.get_rank() == 0:
            print(f"{result.train.steps} steps, held-out MLM loss {result.heldout_loss:.4f}, model in {result.model_dir}")
    finally:
        if distributed:
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
