"""SessionBERT throughput: MLM training tokens/s and embedding sessions/s, bucketed vs naive padding.

    python benchmarks/bench_sessionbert.py                      # toy sessions
    python benchmarks/bench_sessionbert.py --duckdb data/warehouse.duckdb

Bucketed = length-bucketed batches padded to each batch's max; naive = random batches
padded to max_len. Tokens/s counts real (non-pad) tokens only, so the two are comparable.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import torch

from persona_dagster.sessionbert.config import bert_config
from persona_dagster.sessionbert.device import cpu_threads, pick_device
from persona_dagster.sessionbert.embed import embed_texts, load_encoder
from persona_dagster.sessionbert.encoding import encode_sessions
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.sessions import session_texts
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig

# Dense bf16 peak of the GPU, for model FLOPs utilisation; H100 SXM by default.
DEFAULT_PEAK_TFLOPS = 989.0


def load_sessions(args: argparse.Namespace) -> pd.DataFrame:
    if not args.duckdb:
        return toy_sessions(args.sessions, n_users=max(1, args.sessions // 10), mean_activities=args.mean_activities, seed=0)
    import duckdb

    with duckdb.connect(args.duckdb, read_only=True) as con:
        return con.sql(f"select * from marts.session_sequences order by session_start limit {args.sessions}").df()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def train_flops_per_token(preset: str, tokenizer, mean_len: float, mlm_fraction: float = 0.15) -> float:
    """6 x matmul params (embeddings are lookups) + attention scores + the vocab head on masked tokens only."""
    cfg = bert_config(preset, tokenizer)
    h, layers, inter = cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size
    per_layer = 4 * h * h + 2 * h * inter
    head = h * h + mlm_fraction * h * cfg.vocab_size
    return 6 * (layers * per_layer + head) + 12 * layers * h * mean_len


def run(args: argparse.Namespace) -> list[dict[str, object]]:
    device = pick_device(args.device)
    sessions = load_sessions(args)
    texts = session_texts(sessions)
    tokenizer = train_tokenizer(texts, args.vocab_size)
    lengths = [len(ids) for ids in encode_sessions(tokenizer, texts, args.max_len)]
    print(
        f"{len(texts)} sessions, vocab {len(tokenizer)}, tokens/session mean {sum(lengths) / len(lengths):.1f} "
        f"max {max(lengths)} (max_len {args.max_len}), preset {args.preset}, device {device}, threads {torch.get_num_threads()}",
        file=sys.stderr,
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, bucketing in (("bucketed", True), ("naive", False)):
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats()
            cfg = TrainConfig(
                batch_size=args.batch_size, max_len=args.max_len, max_steps=args.steps, log_every=args.steps,
                bucketing=bucketing, pad_to_max=not bucketing, device=args.device, lr=1e-3,
            )
            pre = pretrain_mlm(texts, tokenizer, Path(tmp) / name, cfg, preset=args.preset)
            tokens_per_s = pre.train.tokens_per_second
            row = {
                "path": name,
                "train tok/s": tokens_per_s,
                "train s": pre.train.train_seconds,
                "heldout loss": pre.heldout_loss,
            }
            encoder = load_encoder(pre.model_dir, args.device)
            embed_texts(encoder, tokenizer, texts[:64], args.max_len, args.batch_size)  # warm-up
            start = time.perf_counter()
            embed_texts(encoder, tokenizer, texts[: args.embed_sessions], args.max_len, 128, pad_to=None if bucketing else args.max_len)
            if device.type == "cuda":
                torch.cuda.synchronize()
            row["embed sess/s"] = min(args.embed_sessions, len(texts)) / (time.perf_counter() - start)
            row["peak RSS MiB"] = peak_rss_mib()  # process peak so far
            if device.type == "cuda":
                # Useful FLOPs only (real tokens, attention over real lengths): padding work counts as waste.
                flops = train_flops_per_token(args.preset, tokenizer, sum(lengths) / len(lengths))
                row["TFLOP/s"] = tokens_per_s * flops / 1e12
                row["MFU %"] = 100 * row["TFLOP/s"] / args.peak_tflops
                row["CUDA peak GiB"] = torch.cuda.max_memory_allocated() / 2**30
            rows.append(row)
    return rows


def print_table(rows: list[dict[str, object]]) -> None:
    columns = list(rows[0])
    cells = [[f"{r[c]:,.1f}" if isinstance(r[c], float) else str(r[c]) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for row in cells:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))
    speedup = rows[0]["train tok/s"] / rows[1]["train tok/s"]
    print(f"bucketed/naive: train x{speedup:.2f}, embed x{rows[0]['embed sess/s'] / rows[1]['embed sess/s']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", help="warehouse file; reads marts.session_sequences")
    parser.add_argument("--sessions", type=int, default=3000)
    parser.add_argument("--mean-activities", type=float, default=8.0, help="toy sessions only")
    parser.add_argument("--preset", default="small")
    parser.add_argument("--max-len", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--embed-sessions", type=int, default=2000)
    parser.add_argument("--vocab-size", type=int, default=30_000)
    parser.add_argument("--device", default=None, help="cpu, cuda; default: cuda when available")
    parser.add_argument("--threads", type=int, default=None, help="cap torch CPU threads")
    parser.add_argument("--peak-tflops", type=float, default=DEFAULT_PEAK_TFLOPS, help="GPU dense bf16 peak, for MFU")
    args = parser.parse_args()
    with cpu_threads(args.threads):
        print_table(run(args))


if __name__ == "__main__":
    main()
