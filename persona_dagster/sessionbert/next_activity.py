"""The fine-tuning model: a BERT encoder with one classification head per task (service, page)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_model
from torch import nn
from transformers import BertConfig, BertModel

from persona_dagster.sequences import split_session_sequence
from persona_dagster.sessionbert.checkpoint import WEIGHTS_FILE, load_weights
from persona_dagster.sessionbert.labels import LabelVocab
from persona_dagster.sessionbert.markov_prior import PRIOR_FILE, NgramPrior
from persona_dagster.sessionbert.pooling import Pooling, last_activity_positions, pool, pooled_size

HEADS_FILE = "next_activity.json"


class NextActivityModel(nn.Module):
    """Encoder -> pooled state -> dropout -> a linear head per task; single-task is just one head.

    With an n-gram prior (markov_prior.NgramPrior): logits = head + scale * log P(label | last activities),
    the log-probabilities computed outside (prior_inputs) and passed to forward. `priors` (dense
    [token id, label] first-order tables) is the older form, kept so checkpoints saved with it load.
    """

    def __init__(
        self,
        encoder: BertModel,
        vocabs: dict[str, LabelVocab],
        pooling: Pooling = "cls",
        dropout: float = 0.1,
        max_len: int = 512,
        priors: dict[str, torch.Tensor] | None = None,
        ngram: NgramPrior | None = None,
    ):
        super().__init__()
        self.max_len = max_len  # the truncation it was trained with; inference should match
        self.encoder = encoder
        self.vocabs = vocabs
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        width = pooled_size(encoder.config.hidden_size, pooling)
        self.heads = nn.ModuleDict({task: nn.Linear(width, len(v)) for task, v in vocabs.items()})
        if priors and ngram is not None:
            raise ValueError("a model corrects one prior: the n-gram prior or the older first-order tables, not both")
        self.ngram = ngram
        if ngram is not None:
            missing = [t for t in vocabs if tuple(vocabs[t].labels) != ngram.labels.get(t)]
            if missing:
                raise ValueError(f"the n-gram prior's labels differ from the heads' for {missing}")
        self.prior_tasks = tuple(vocabs) if ngram is not None else tuple(priors or ())
        for task, table in (priors or {}).items():
            self.register_buffer(f"prior_{task}", table.float())
        self.prior_scale = nn.ParameterDict({t: nn.Parameter(torch.tensor(1.0)) for t in self.prior_tasks})
        # How much of the head's correction to the prior is applied, per head: 1 as trained; validation may
        # shrink it (experiments.choose_finetune_knobs) where the correction does not beat the prior alone.
        self.correction = {t: 1.0 for t in self.prior_tasks}
        for task in self.prior_tasks:  # start exactly at the prior: the head learns only a correction
            nn.init.zeros_(self.heads[task].weight)
            nn.init.zeros_(self.heads[task].bias)

    def prior_inputs(self, texts: list[str]) -> dict[str, torch.Tensor] | None:
        """forward's prior_log_probs for session texts (their activities are parsed back); None without an n-gram prior."""
        if self.ngram is None:
            return None
        return self.ngram.log_probs([split_session_sequence(t)[0] for t in texts])

    def logit_parts(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    prior_log_probs: dict[str, torch.Tensor] | None = None
                    ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        """(each head's logits, the prior term per prior task): forward combines them (see forward)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.dropout(pool(hidden, attention_mask, self.pooling, input_ids))
        heads = {task: head(pooled) for task, head in self.heads.items()}
        priors = {}
        if self.ngram is not None:
            if prior_log_probs is None:
                raise ValueError("this model corrects an n-gram prior: pass prior_log_probs="
                                 "model.prior_inputs(texts) (predict_topk does)")
            for task in self.prior_tasks:
                prior = prior_log_probs[task].to(heads[task].device, heads[task].dtype)
                priors[task] = self.prior_scale[task] * prior
        elif self.prior_tasks:
            rows = torch.arange(input_ids.size(0), device=input_ids.device)
            last = input_ids[rows, last_activity_positions(input_ids, attention_mask)]
            for task in self.prior_tasks:
                priors[task] = self.prior_scale[task] * getattr(self, f"prior_{task}")[last]
        return heads, priors

    def combine(self, task: str, head: torch.Tensor, prior: torch.Tensor | None, correction: float | None = None
                ) -> torch.Tensor:
        """One task's logits from its parts: correction * head + prior term on an n-gram prior (correction
        defaults to the model's), head + prior term on the older first-order tables, the head alone without."""
        if prior is None:
            return head
        if self.ngram is None:
            return head + prior
        return (self.correction[task] if correction is None else correction) * head + prior

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                prior_log_probs: dict[str, torch.Tensor] | None = None) -> dict[str, torch.Tensor]:
        heads, priors = self.logit_parts(input_ids, attention_mask, prior_log_probs)
        return {task: self.combine(task, head, priors.get(task)) for task, head in heads.items()}

    def save_pretrained(self, directory: str | Path) -> None:
        """config.json (the encoder's), model.safetensors (encoder + heads), next_activity.json (labels)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.encoder.config.save_pretrained(directory)
        save_model(self, str(directory / WEIGHTS_FILE))
        meta = {
            "pooling": self.pooling,
            "dropout": self.dropout.p,
            "max_len": self.max_len,
            "labels": {t: list(v.labels) for t, v in self.vocabs.items()},
            "prior_tasks": list(self.prior_tasks),
            # "first_order_table": buffers in the weights file (older checkpoints); "ngram": PRIOR_FILE beside it.
            "prior": None if not self.prior_tasks else ("ngram" if self.ngram is not None else "first_order_table"),
            "correction": self.correction,
        }
        if self.ngram is not None:
            self.ngram.save(directory)
            meta["prior_order"] = self.ngram.orders
        (directory / HEADS_FILE).write_text(json.dumps(meta, indent=1))

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> NextActivityModel:
        directory = Path(directory)
        meta = json.loads((directory / HEADS_FILE).read_text())
        encoder = BertModel(BertConfig.from_pretrained(str(directory)), add_pooling_layer=False)
        vocabs = {t: LabelVocab(tuple(labels)) for t, labels in meta["labels"].items()}
        # Checkpoints without "prior" predate the n-gram prior: their prior_tasks are first-order buffers.
        kind = meta.get("prior", "first_order_table" if meta.get("prior_tasks") else None)
        ngram, priors = None, None
        if kind == "ngram":
            if not (directory / PRIOR_FILE).exists():
                raise FileNotFoundError(f"{directory} was saved with an n-gram prior but {PRIOR_FILE} is missing")
            ngram = NgramPrior.load(directory)
        elif kind == "first_order_table":
            # Prior buffers are rebuilt at their saved shapes, then filled by the weights file.
            priors = {t: torch.zeros(encoder.config.vocab_size, len(vocabs[t])) for t in meta["prior_tasks"]}
        elif kind is not None:
            raise ValueError(f"{directory}: unknown prior kind {kind!r} in {HEADS_FILE}")
        model = cls(encoder, vocabs, meta["pooling"], meta["dropout"], meta["max_len"], priors=priors, ngram=ngram)
        load_weights(model, directory)
        model.correction.update({t: float(w) for t, w in meta.get("correction", {}).items() if t in model.correction})
        return model
