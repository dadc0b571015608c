{{ config(tags=['ml_mart'], meta={'dagster': {'ref': {'name': 'persona_drift'}}}) }}
{# A main-persona change needs evidence on both sides and two different personas; shifts are distances in [0, 1]. #}
select *
from {{ ref('persona_drift') }}
where (main_changed and not compared)
    or (main_changed and previous_main_persona = main_persona)
    or (compared and not main_changed and previous_main_persona != main_persona)
    or evidence_shift < 0 or evidence_shift > 1 + 1e-9
    or (previous_memories = 0 and n_personas_lost > 0)
    or (current_memories = 0 and n_personas_gained > 0)
