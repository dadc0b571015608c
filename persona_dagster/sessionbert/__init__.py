"""SessionBERT: a BERT trained from scratch on flattened clickstream sessions (pure PyTorch, no Dagster).

Modules, in pipeline order: tokenizer, encoding, batching, masking, config, pretrain (MLM),
examples + finetune (next service/page), baselines, evaluate, experiments, embed.
"""

from transformers.utils import logging as _hf_logging

# Per-save/load progress bars flood run logs; training reports its own progress.
_hf_logging.disable_progress_bar()
