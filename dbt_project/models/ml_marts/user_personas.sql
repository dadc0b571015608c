{{ config(tags=['ml_mart']) }}
{# Each user's current persona: the latest daily assignment (nearest centroid of the segmentation). #}

with assignments as (
    select * from {{ source('ml', 'user_persona_assignments') }}
),

latest as (
    select * from assignments
    qualify row_number() over (partition by user_id order by as_of_date desc) = 1
)

select
    user_id,
    persona_tag as persona,
    persona_probability,
    cluster_probability,
    cluster,
    similarity,
    segmentation_version,
    sessionbert_version as model_version,
    as_of_date
from latest
