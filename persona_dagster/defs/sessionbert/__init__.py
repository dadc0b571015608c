"""SessionBERT assets: tokenizer, masked-LM pretraining, next service/page model, embeddings."""
