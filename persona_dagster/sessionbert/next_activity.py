"""The fine-tuning model: a BERT encoder with one classification head per task (service, page)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_model
from torch import nn
from transformers import BertConfig, BertModel

from persona_dagster.sessionbert.checkpoint import WEIGHTS_FILE, load_weights
from persona_dagster.sessionbert.labels import LabelVocab
from persona_dagster.sessionbert.pooling import Pooling, last_activity_positions, pool, pooled_size

HEADS_FILE = "next_activity.json"


class NextActivityModel(nn.Module):
    """Encoder -> pooled state -> dropout -> a linear head per task; single-task is just one head."""

    def __init__(
        self,
        encoder: BertModel,
        vocabs: dict[str, LabelVocab],
        pooling: Pooling = "cls",
        dropout: float = 0.1,
        max_len: int = 512,
        priors: dict[str, torch.Tensor] | None = None,
    ):
        super().__init__()
        self.max_len = max_len  # the truncation it was trained with; inference should match
        self.encoder = encoder
        self.vocabs = vocabs
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        width = pooled_size(encoder.config.hidden_size, pooling)
        self.heads = nn.ModuleDict({task: nn.Linear(width, len(v)) for task, v in vocabs.items()})
        # Optional transition priors (markov_prior.py): logits = head + scale * log P(label | last activity).
        self.prior_tasks = tuple(priors or ())
        for task, table in (priors or {}).items():
            self.register_buffer(f"prior_{task}", table.float())
        self.prior_scale = nn.ParameterDict({t: nn.Parameter(torch.tensor(1.0)) for t in self.prior_tasks})
        for task in self.prior_tasks:  # start exactly at the prior: the head learns only a correction
            nn.init.zeros_(self.heads[task].weight)
            nn.init.zeros_(self.heads[task].bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.dropout(pool(hidden, attention_mask, self.pooling, input_ids))
        logits = {task: head(pooled) for task, head in self.heads.items()}
        if self.prior_tasks:
            rows = torch.arange(input_ids.size(0), device=input_ids.device)
            last = input_ids[rows, last_activity_positions(input_ids, attention_mask)]
            for task in self.prior_tasks:
                logits[task] = logits[task] + self.prior_scale[task] * getattr(self, f"prior_{task}")[last]
        return logits

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
        }
        (directory / HEADS_FILE).write_text(json.dumps(meta, indent=1))

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> NextActivityModel:
        directory = Path(directory)
        meta = json.loads((directory / HEADS_FILE).read_text())
        encoder = BertModel(BertConfig.from_pretrained(str(directory)), add_pooling_layer=False)
        vocabs = {t: LabelVocab(tuple(labels)) for t, labels in meta["labels"].items()}
        # Prior buffers are rebuilt at their saved shapes, then filled by the weights file.
        priors = {t: torch.zeros(encoder.config.vocab_size, len(vocabs[t])) for t in meta.get("prior_tasks", [])}
        model = cls(encoder, vocabs, meta["pooling"], meta["dropout"], meta["max_len"], priors=priors)
        load_weights(model, directory)
        return model
