"""What sharing a prompt across its K candidates saves in groupwise DPO, on the real backbone.

    python benchmarks/persona_prefix_sharing.py --models DATA/models [--backbone DIR] [--k 3]
        [--prompt-tokens 192] [--new-tokens 40] [--repeats 3]

Two costs of one DPO group, each beside its baseline in the same run (alternated, best of --repeats,
since the machine may be shared): (1) the policy's forward+backward over K candidates, as K full
prompt+candidate rows vs the prompt once with its key/value cache shared (GroupwiseDPOTrainer); (2)
sampling K candidates, generate with num_return_sequences vs the prompt prefilled once
(sampling.sample_completions), over --prompts prompts at once. Prints seconds, speed-up, and the largest log-prob difference of (1).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from trl import DPOConfig  # noqa: E402

from persona_dagster.personas.backbone import resolve_backbone  # noqa: E402
from persona_dagster.personas.groupwise_trainer import GroupwiseDPOTrainer  # noqa: E402
from persona_dagster.personas.policy_batches import completion_batch, completion_labels  # noqa: E402
from persona_dagster.personas.policy_model import AdapterParams, pretrained_policy  # noqa: E402
from persona_dagster.personas.policy_tokenizer import encode_prompt  # noqa: E402
from persona_dagster.personas.sampling import SamplingParams, sample_completions  # noqa: E402
from trl.trainer.utils import pad  # noqa: E402


def _best(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=Path("data/models"), help="model store (the packaged backbone)")
    parser.add_argument("--backbone", default="smollm2-135m-instruct", help="packaged name or a local model directory")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--prompt-tokens", type=int, default=192)
    parser.add_argument("--new-tokens", type=int, default=40)
    parser.add_argument("--prompts", type=int, default=4, help="prompts sampled together (a DPO round samples all its groups at once)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    policy, tokenizer = pretrained_policy(resolve_backbone(args.backbone, args.models), AdapterParams())
    generator = torch.Generator().manual_seed(0)
    prompt = torch.randint(1000, 20000, (args.prompt_tokens,), generator=generator).tolist()
    candidates = [torch.randint(1000, 20000, (args.new_tokens - i,), generator=generator).tolist() for i in range(args.k)]
    config = DPOConfig(output_dir="/tmp/prefix-sharing", report_to="none", activation_checkpointing=False,
                       max_length=None, disable_tqdm=True, bf16=False, dataloader_pin_memory=False)
    trainer = GroupwiseDPOTrainer(model=policy, ref_model=None, args=config, processing_class=tokenizer,
                                  train_dataset=Dataset.from_list([{"prompt_ids": prompt, "completion_ids": candidates,
                                                                    "scores": [1.0 - i / args.k for i in range(args.k)]}]))
    batch = next(iter(trainer.get_train_dataloader()))
    full = completion_batch([(prompt, c) for c in candidates], tokenizer.pad_token_id)
    policy.train()

    def full_rows():
        policy.zero_grad()
        logps = policy(input_ids=full["input_ids"], attention_mask=full["attention_mask"], labels=completion_labels(full),
                       fused_lm_head=True).log_probs.sum(1)
        logps.sum().backward()
        return logps.detach()

    def shared_prompt():
        policy.zero_grad()
        logps = trainer._sequence_logps(policy, batch)
        logps.sum().backward()
        return logps.detach()

    texts = [tokenizer.decode(prompt)] + [
        tokenizer.decode(torch.randint(1000, 20000, (args.prompt_tokens,), generator=generator).tolist())
        for _ in range(args.prompts - 1)]
    # The baseline encodes and left-pads the prompts exactly as sample_completions does.
    rows = [torch.tensor(encode_prompt(tokenizer, t)) for t in texts]
    encoded = {"input_ids": pad(rows, padding_value=tokenizer.pad_token_id, padding_side="left"),
               "attention_mask": pad([torch.ones_like(r) for r in rows], padding_value=0, padding_side="left")}
    sampling = SamplingParams(k=args.k, temperature=0.8, top_k=50, max_new_tokens=args.new_tokens, seed=0)

    def generate_k():
        with torch.no_grad():
            return policy.generate(**encoded, do_sample=True, temperature=0.8, top_k=50, num_return_sequences=args.k,
                                   max_new_tokens=args.new_tokens, pad_token_id=tokenizer.pad_token_id)

    results = {}
    for name, fn in (("forward+backward, K full rows", full_rows), ("forward+backward, prompt shared", shared_prompt),
                     ("sampling, generate x K", generate_k),
                     ("sampling, prompt prefilled once", lambda: sample_completions(policy, tokenizer, texts, sampling))):
        results[name] = _best(fn, args.repeats)
    print(f"K={args.k}, prompt {args.prompt_tokens} tokens, candidates {args.new_tokens} tokens, {args.prompts} prompts sampled, "
          f"{args.threads} threads, best of {args.repeats}")
    for name, (seconds, _) in results.items():
        print(f"{name:34s} {seconds:7.2f} s")
    full, shared = results["forward+backward, K full rows"], results["forward+backward, prompt shared"]
    print(f"training speed-up {full[0] / shared[0]:.2f}x, max |log-prob difference| "
          f"{(full[1] - shared[1]).abs().max().item():.2e}")
    print(f"sampling speed-up {results['sampling, generate x K'][0] / results['sampling, prompt prefilled once'][0]:.2f}x")


if __name__ == "__main__":
    main()
