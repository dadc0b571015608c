"""Word-level session tokenizers, trained with `tokenizers` and stored in the transformers format."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from tokenizers import AddedToken, Regex, Tokenizer, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from persona_dagster.sequences import SECTION_TOKENS, SEP

PAD, UNK, CLS, MASK = "[PAD]", "[UNK]", "[CLS]", "[MASK]"
# SEP doubles as BERT's end-of-sequence token and the separator between activities.
BERT_SPECIALS: tuple[str, ...] = (PAD, UNK, CLS, SEP, MASK)
SPECIAL_TOKENS: tuple[str, ...] = BERT_SPECIALS + tuple(t for t in SECTION_TOKENS if t not in BERT_SPECIALS)
DEFAULT_VOCAB_SIZE = 30_000
# The characters a generic BERT pre-tokenizer would split 'service;page' and 'country:Germany' on.
GENERIC_PUNCTUATION = r"[;:_\-]"

TokenizerKind = Literal["session", "generic"]


def _pre_tokenizer(kind: TokenizerKind) -> pre_tokenizers.PreTokenizer:
    """Whitespace only keeps each activity one token; 'generic' also splits punctuation, like BERT."""
    if kind == "session":
        return pre_tokenizers.WhitespaceSplit()
    if kind == "generic":
        # 'isolated' keeps the punctuation as its own token, as BertPreTokenizer does.
        return pre_tokenizers.Sequence(
            [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split(Regex(GENERIC_PUNCTUATION), behavior="isolated")]
        )
    raise ValueError(f"unknown tokenizer kind {kind!r}")


def _without_specials(texts: Iterable[str]) -> Iterable[str]:
    """Texts minus special tokens: the trainer adds those itself, and counting them again leaves holes in the ids."""
    specials = set(SPECIAL_TOKENS)
    for text in texts:
        yield " ".join(w for w in text.split() if w not in specials)


def train_tokenizer(
    texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB_SIZE, kind: TokenizerKind = "session"
) -> PreTrainedTokenizerFast:
    """Train a WordLevel tokenizer on session sequences; the least frequent words beyond vocab_size become [UNK]."""
    special = [AddedToken(t, special=True, normalized=False, single_word=False) for t in SPECIAL_TOKENS]
    tok = Tokenizer(models.WordLevel(unk_token=UNK))
    tok.pre_tokenizer = _pre_tokenizer(kind)
    trainer = trainers.WordLevelTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False)
    tok.train_from_iterator(_without_specials(texts), trainer)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}", special_tokens=[(CLS, tok.token_to_id(CLS)), (SEP, tok.token_to_id(SEP))]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token=PAD,
        unk_token=UNK,
        cls_token=CLS,
        sep_token=SEP,
        mask_token=MASK,
        extra_special_tokens=[t for t in SPECIAL_TOKENS if t not in BERT_SPECIALS],
    )


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """A tokenizer saved with save_pretrained, from a local directory only."""
    return PreTrainedTokenizerFast.from_pretrained(str(path), local_files_only=True)
