"""The prompt/completion encoding every step shares, and the word-level tokenizer of the from-scratch fixture.

A pretrained instruct backbone gets the prompt as a chat turn under an instruction (its chat
template); the from-scratch fixture has no template and reads 'Memories: ... Persona:' after BOS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
PROMPT_HEADER = "Memories:"
PROMPT_SUFFIX = "Persona:"
# Nothing of one site in it (the pipeline runs on any clickstream), and no name-like phrase to copy: with
# "a cloud-console user" here, π0 and πθ opened labels with "Cloud-console user", a service that does not exist.
INSTRUCTION = (
    "Write one persona of a user of this website from the activity memories below: a short label saying what "
    "kind of user this is and what they focus on, a colon, then one or two sentences. Name only services, "
    "pages and tasks that appear in the memories."
)
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


def load_policy_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """A saved tokenizer of either kind (word-level fixture or a backbone's own)."""
    return AutoTokenizer.from_pretrained(Path(path), local_files_only=True)


def is_chat(tokenizer: PreTrainedTokenizerBase) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def tidy(text: str) -> str:
    """Undo the spaces word-level decoding puts around punctuation."""
    return _SPACE_AFTER.sub("(", _SPACE_BEFORE.sub(r"\1", text)).strip()


def _ids(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def build_prompt(memory_texts: Sequence[str], tokenizer: PreTrainedTokenizerBase, max_tokens: int) -> str:
    """'Memories: <text> <text> ... Persona:', whole memories in order while the encoded prompt fits max_tokens."""
    separator = "\n" if is_chat(tokenizer) else " "
    budget = max_tokens - len(encode_prompt(tokenizer, f"{PROMPT_HEADER}{separator}{PROMPT_SUFFIX}"))
    kept: list[str] = []
    for text in memory_texts:
        budget -= len(_ids(tokenizer, separator + text))
        if budget < 0 and kept:
            break
        kept.append(text)
    return separator.join([PROMPT_HEADER, *kept, PROMPT_SUFFIX])


def encode_prompt(tokenizer: PreTrainedTokenizerBase, prompt: str) -> list[int]:
    """Prompt ids up to where the completion starts: the assistant turn's opening, or after BOS."""
    if is_chat(tokenizer):
        messages = [{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": prompt}]
        return list(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                  return_dict=False))
    return [tokenizer.bos_token_id, *_ids(tokenizer, prompt)]


def encode_completion(tokenizer: PreTrainedTokenizerBase, completion: str) -> list[int]:
    """Completion ids ending in EOS (a chat backbone's end of turn), which is where sampling stops."""
    return [*_ids(tokenizer, completion), tokenizer.eos_token_id]


def decode_completion(tokenizer: PreTrainedTokenizerBase, ids: Sequence[int]) -> str:
    text = tokenizer.decode(list(ids), skip_special_tokens=True)
    # Byte-level BPE decodes spacing faithfully; word-level decoding puts spaces around punctuation.
    return text.strip() if is_chat(tokenizer) else tidy(text)
