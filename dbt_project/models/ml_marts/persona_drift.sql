{{ config(tags=['ml_mart']) }}
{# Per user and day: the main persona of the period ending that day against the period before it. #}

with drift as (
    select * from {{ source('ml', 'persona_drift') }}
),

renamed as (
    select
        user_id,
        as_of_date,
        period_days,
        previous_main as previous_main_persona,
        current_main as main_persona,
        previous_main_share,
        current_main_share as main_persona_share,
        compared,
        main_changed,
        personas_gained,
        personas_lost,
        len(personas_gained) as n_personas_gained,
        len(personas_lost) as n_personas_lost,
        evidence_shift,
        previous_memories,
        current_memories
    from drift
)

select * from renamed
