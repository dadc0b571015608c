import dagster as dg

from persona_dagster.defs.sessionbert.assets import (
    generic_bert_mlm,
    next_activity_evaluation,
    next_activity_model,
    session_embeddings,
    session_tokenizer,
    sessionbert_mlm,
    sessionbert_user_encoder,
    user_embeddings,
)

defs = dg.Definitions(assets=[session_tokenizer, sessionbert_mlm, sessionbert_user_encoder, generic_bert_mlm, next_activity_model, next_activity_evaluation,
                              session_embeddings, user_embeddings])
