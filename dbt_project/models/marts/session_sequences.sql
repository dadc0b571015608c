{# The flattened SessionBERT input of each session, exactly as
   persona_dagster.sequences.format_session_sequence writes it: activities in time order
   separated by [SEP], then the non-empty context sections. #}

with sessions as (
    select
        session_key,
        any_value(user_id) as user_id,
        any_value(event_date) as event_date,
        min(event_ts) as session_start,
        max(event_ts) as session_end,
        {{ ordered_list('activity', ['event_seq']) }} as activities
    from {{ ref('int_clickstream__sessionized_events') }}
    where {{ in_window('event_date') }}
    group by session_key
),

with_context as (
    select
        s.*,
        c.location_tokens,
        c.daily_page_tokens,
        c.daily_service_tokens,
        c.daily_billed_tokens,
        c.monthly_billed_tokens
    from sessions as s
    left join {{ ref('int_sessions__context_tokens') }} as c using (user_id, event_date)
)

select
    session_key,
    user_id,
    event_date,
    session_start,
    session_end,
    {{ list_len('activities') }} as n_activities,
    activities,
    location_tokens,
    daily_page_tokens,
    daily_service_tokens,
    daily_billed_tokens,
    monthly_billed_tokens,
    concat_ws(' ',
        '[activity] ' || {{ list_join('activities', "' [SEP] '") }},
        case when {{ list_len('location_tokens') }} > 0 then '[location_token] ' || {{ list_join('location_tokens', "' '") }} end,
        case when {{ list_len('daily_page_tokens') }} > 0 then '[daily_page_token] ' || {{ list_join('daily_page_tokens', "' '") }} end,
        case when {{ list_len('daily_service_tokens') }} > 0 then '[daily_service_token] ' || {{ list_join('daily_service_tokens', "' '") }} end,
        case when {{ list_len('daily_billed_tokens') }} > 0 then '[daily_billed_token] ' || {{ list_join('daily_billed_tokens', "' '") }} end,
        case when {{ list_len('monthly_billed_tokens') }} > 0 then '[monthly_billed_token] ' || {{ list_join('monthly_billed_tokens', "' '") }} end
    ) as sequence
from with_context
