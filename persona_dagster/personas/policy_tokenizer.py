"""The policy's word-level tokenizer, trained here, and the prompt/completion encoding every step shares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
PROMPT_HEADER = "Memories:"
PROMPT_SUFFIX = "Persona:"
# Names ('cost-explorer', 'security-groups', 'service;page') stay whole; digits and punctuation split off.
_PIECES = r"[^\W\d][\w\-;]*|\d+|[^\w\s]"
_SPACE_BEFORE = re.compile(r"\s+([,.:;)])")
_SPACE_AFTER = re.compile(r"\(\s+")


def train_policy_tokenizer(texts: Iterable[str], min_frequency: int = 1) -> PreTrainedTokenizerFast:
    """A WordLevel vocabulary over memory and persona texts: each service or page name is one token."""
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(_PIECES), behavior="isolated")]
    )
    trainer = trainers.WordLevelTrainer(special_tokens=[PAD, UNK, BOS, EOS], min_frequency=min_frequency)
    tokenizer.train_from_iterator([*texts, PROMPT_HEADER, PROMPT_SUFFIX], trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token=PAD, unk_token=UNK, bos_token=BOS, eos_token=EOS
    )


def load_policy_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast.from_pretrained(Path(path), local_files_only=True)


def tidy(text: str) -> str:
    """Undo the spaces word-level decoding puts around punctuation."""
    return _SPACE_AFTER.sub("(", _SPACE_BEFORE.sub(r"\1", text)).strip()


def _ids(tokenizer: PreTrainedTokenizerFast, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def build_prompt(memory_texts: Sequence[str], tokenizer: PreTrainedTokenizerFast, max_tokens: int) -> str:
    """'Memories: <text> <text> ... Persona:', whole memories in order while they fit the token budget."""
    budget = max_tokens - len(_ids(tokenizer, f"{PROMPT_HEADER} {PROMPT_SUFFIX}")) - 1  # 1 for BOS
    kept: list[str] = []
    for text in memory_texts:
        budget -= len(_ids(tokenizer, text))
        if budget < 0 and kept:
            break
        kept.append(text)
    return " ".join([PROMPT_HEADER, *kept, PROMPT_SUFFIX])


def encode_prompt(tokenizer: PreTrainedTokenizerFast, prompt: str) -> list[int]:
    return [tokenizer.bos_token_id, *_ids(tokenizer, prompt)]


def encode_completion(tokenizer: PreTrainedTokenizerFast, completion: str) -> list[int]:
    """Completion ids ending in EOS, which is where sampling stops."""
    return [*_ids(tokenizer, completion), tokenizer.eos_token_id]


def decode_completion(tokenizer: PreTrainedTokenizerFast, ids: Sequence[int]) -> str:
    return tidy(tokenizer.decode(list(ids), skip_special_tokens=True))
