"""Intent memories: one textual memory per intent segment, written by a pluggable summarizer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from persona_dagster.personas.notation import join_list, service_phrase, services_with_pages

TASK_SOURCE = "task"


@dataclass(frozen=True)
class IntentMemory:
    """The evidence unit of a persona: one intent segment and its summary text."""

    memory_id: str
    user_id: str
    session_key: str
    intent: str
    intent_source: str
    start_ts: dt.datetime
    end_ts: dt.datetime
    n_actions: int
    services: tuple[str, ...]
    pages: tuple[str, ...]
    event_ids: tuple[str, ...]
    text: str = ""

    @property
    def is_task(self) -> bool:
        """True when the intent is a mapped task rather than a bare service name."""
        return self.intent_source == TASK_SOURCE

    def to_record(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "services": list(self.services), "pages": list(self.pages),
                "event_ids": list(self.event_ids)}


class Summarizer(Protocol):
    """Writes the summary text of each memory."""

    def summarize(self, memories: Sequence[IntentMemory]) -> list[str]: ...


class TemplateSummarizer:
    """The deterministic default: date, time span, services with pages, intent, action count."""

    def summarize(self, memories: Sequence[IntentMemory]) -> list[str]:
        return [template_summary(m) for m in memories]


def template_summary(memory: IntentMemory) -> str:
    """'On 2026-01-03 08:10-08:25 used billing (invoices) and budgets (alerts) for cost management, 7 actions.'

    The 'service (page, ...)' notation is the one the claim parser reads back.
    """
    used = join_list([service_phrase(s, p) for s, p in services_with_pages(memory.services, memory.pages)])
    # A service-sourced intent is the service itself; repeating it adds nothing.
    purpose = f" for {memory.intent}" if memory.is_task else ""
    actions = "action" if memory.n_actions == 1 else "actions"
    return (
        f"On {memory.start_ts:%Y-%m-%d %H:%M}-{memory.end_ts:%H:%M} used {used}{purpose}, "
        f"{memory.n_actions} {actions}."
    )


class CheckpointSummarizer:
    """Summaries written by a local causal-LM checkpoint, prompted with the template summary."""

    def __init__(self, checkpoint: str | Path, max_new_tokens: int = 48) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(checkpoint)
        if not path.is_dir():
            raise FileNotFoundError(f"summarizer checkpoint {path} is not a local directory")
        # local_files_only: the pipeline runs offline and must never reach a hub.
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).eval()
        self.max_new_tokens = max_new_tokens

    def summarize(self, memories: Sequence[IntentMemory]) -> list[str]:
        import torch

        texts = []
        for memory in memories:
            fallback = template_summary(memory)
            inputs = self.tokenizer(f"{fallback}\nSummary:", return_tensors="pt")
            inputs.pop("token_type_ids", None)
            with torch.no_grad():
                out = self.model.generate(
                    **inputs.to(self.model.device), max_new_tokens=self.max_new_tokens, do_sample=False,
                    pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
                )
            text = self.tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()
            # An empty generation would leave a memory without text; the template is always faithful.
            texts.append(text or fallback)
        return texts


def summarizer_for(checkpoint: str | Path | None = None) -> Summarizer:
    """The checkpoint summarizer when a local path is given, else the template."""
    return CheckpointSummarizer(checkpoint) if checkpoint else TemplateSummarizer()


def _as_tuple(value: Any) -> tuple[str, ...]:
    # DuckDB lists arrive as numpy arrays or lists; missing lists as None/NaN.
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(str(v) for v in value)


def _as_datetime(value: Any) -> dt.datetime:
    return pd.Timestamp(value).to_pydatetime()


def memories_from_segments(
    segments: pd.DataFrame | Iterable[dict[str, Any]], summarizer: Summarizer | None = None
) -> list[IntentMemory]:
    """One memory per row of marts.intent_segments, ordered by user and start time."""
    rows = segments.to_dict("records") if isinstance(segments, pd.DataFrame) else list(segments)
    memories = [
        IntentMemory(
            memory_id=str(r["segment_id"]),
            user_id=str(r["user_id"]),
            session_key=str(r["session_key"]),
            intent=str(r["intent"]),
            intent_source=str(r["intent_source"]),
            start_ts=_as_datetime(r["start_ts"]),
            end_ts=_as_datetime(r["end_ts"]),
            n_actions=int(r["n_actions"]),
            services=_as_tuple(r["services"]),
            pages=_as_tuple(r["pages"]),
            event_ids=_as_tuple(r.get("event_ids")),
        )
        for r in rows
    ]
    memories.sort(key=lambda m: (m.user_id, m.start_ts, m.memory_id))
    texts = (summarizer or TemplateSummarizer()).summarize(memories)
    return [dataclasses.replace(m, text=t) for m, t in zip(memories, texts, strict=True)]


def memories_frame(memories: Sequence[IntentMemory]) -> pd.DataFrame:
    """Memories as a DataFrame (for a warehouse table or asset metadata)."""
    return pd.DataFrame([m.to_record() for m in memories])
