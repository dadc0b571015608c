"""Session text -> token ids, truncated so the most recent activities and the context survive."""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerFast

from persona_dagster.sequences import CONTEXT_SECTIONS, SEP


def truncate_session_ids(
    ids: list[int], budget: int, context_ids: set[int], sep_id: int
) -> list[int]:
    """Fit a session's ids (no [CLS]/[SEP] wrapper) into `budget` tokens.

    Why this shape: the next activity depends most on the latest ones and the context
    sections come after the activities, so plain tail truncation would drop the context
    and head truncation the recent clicks. We keep the leading [activity] marker, drop
    whole activities from the start, and keep the context, capped at half the budget
    (cut from its end) so a long daily context cannot crowd out every activity.
    """
    if len(ids) <= budget:
        return ids
    split = next((i for i, t in enumerate(ids) if t in context_ids), len(ids))
    head = ids[:1] if split > 0 else []
    body, context = ids[len(head) : split], ids[split:]
    context = context[: max(budget // 2, budget - len(head) - len(body))]
    room = budget - len(head) - len(context)
    cut = max(0, len(body) - room)
    # Start at an activity boundary so no sub-word of a cut activity dangles at the front.
    if 0 < cut < len(body) and body[cut - 1] != sep_id:
        cut = body.index(sep_id, cut) + 1 if sep_id in body[cut:] else len(body)
    while cut < len(body) and body[cut] == sep_id:
        cut += 1
    tail = body[cut:]
    return head + tail + context


def encode_sessions(
    tokenizer: PreTrainedTokenizerFast, texts: Sequence[str], max_len: int
) -> list[list[int]]:
    """[CLS] ids [SEP] per text, at most max_len ids; the same template the tokenizer's post-processor adds."""
    context_ids = {tokenizer.convert_tokens_to_ids(t) for t in CONTEXT_SECTIONS}
    sep_id = tokenizer.convert_tokens_to_ids(SEP)
    encodings = tokenizer.backend_tokenizer.encode_batch(list(texts), add_special_tokens=False)
    cls, end = tokenizer.cls_token_id, tokenizer.sep_token_id
    return [[cls, *truncate_session_ids(e.ids, max_len - 2, context_ids, sep_id), end] for e in encodings]
