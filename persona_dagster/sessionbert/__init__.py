"""SessionBERT: a BERT trained from scratch on flattened clickstream sessions (pure PyTorch, no Dagster).

Modules, in pipeline order: tokenizer, encoding, batching, masking, config, pretrain (MLM),
examples + finetune (next service/page), baselines, evaluate, experiments, embed.
"""
