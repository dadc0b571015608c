{{ config(tags=['ml_mart']) }}

with personas as (
    select * from {{ source('ml', 'induced_personas') }}
)

select
    user_id || '#' || cluster_id as persona_id,
    user_id,
    label,
    description,
    evidence_memory_ids,
    len(evidence_memory_ids) as n_evidence,
    cohesion,
    alignment,
    truthfulness,
    specificity,
    label_focus,
    final_score,
    policy_version
from personas
