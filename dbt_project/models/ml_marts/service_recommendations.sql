{{ config(tags=['ml_mart']) }}
{# Each user's latest top-5 new services from the adoption recommender, with the evidence behind
   each (reason) and the user's persona. #}

with recommendations as (
    select * from {{ source('ml', 'service_recommendations') }}
),

latest as (
    select * from recommendations
    qualify as_of_date = max(as_of_date) over (partition by user_id)
),

personas as (
    select user_id, persona from {{ ref('user_personas') }}
)

select
    r.user_id,
    r.rank,
    r.service,
    r.score,
    r.reason,
    p.persona,
    r.model_version,
    r.as_of_date
from latest as r
left join personas as p using (user_id)
