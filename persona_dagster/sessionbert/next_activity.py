"""The fine-tuning model: a BERT encoder with one classification head per task (service, page)."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_model
from torch import nn
from transformers import BertConfig, BertForMaskedLM, BertModel

from persona_dagster.sessionbert.checkpoint import WEIGHTS_FILE, load_weights
from persona_dagster.sessionbert.labels import LabelVocab
from persona_dagster.sessionbert.pooling import Pooling, pool, pooled_size

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
    ):
        super().__init__()
        self.max_len = max_len  # the truncation it was trained with; inference should match
        self.encoder = encoder
        self.vocabs = vocabs
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        width = pooled_size(encoder.config.hidden_size, pooling)
        self.heads = nn.ModuleDict({task: nn.Linear(width, len(v)) for task, v in vocabs.items()})

    @classmethod
    def from_mlm(
        cls, mlm_dir: str | Path, vocabs: dict[str, LabelVocab], pooling: Pooling = "cls", max_len: int = 512
    ) -> NextActivityModel:
        """Heads on the encoder of a pretrained masked-LM directory."""
        mlm = BertForMaskedLM.from_pretrained(str(mlm_dir), local_files_only=True)
        return cls(mlm.bert, vocabs, pooling, max_len=max_len)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = self.dropout(pool(hidden, attention_mask, self.pooling, input_ids))
        return {task: head(pooled) for task, head in self.heads.items()}

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
        }
        (directory / HEADS_FILE).write_text(json.dumps(meta, indent=1))

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> NextActivityModel:
        directory = Path(directory)
        meta = json.loads((directory / HEADS_FILE).read_text())
        encoder = BertModel(BertConfig.from_pretrained(str(directory)), add_pooling_layer=False)
        vocabs = {t: LabelVocab(tuple(labels)) for t, labels in meta["labels"].items()}
        model = cls(encoder, vocabs, meta["pooling"], meta["dropout"], meta["max_len"])
        load_weights(model, directory)
        return model
