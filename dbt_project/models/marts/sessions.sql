select
    session_key,
    any_value(user_id) as user_id,
    any_value(session_id) as session_id,
    bool_or(is_inferred_session) as is_inferred_session,
    any_value(event_date) as event_date,
    min(event_ts) as session_start,
    max(event_ts) as session_end,
    {{ seconds_between('min(event_ts)', 'max(event_ts)') }} as duration_seconds,
    count(*) as n_events,
    count(distinct service) as n_services,
    count(distinct activity) as n_activities
from {{ ref('int_clickstream__sessionized_events') }}
where {{ in_window('event_date') }}
group by session_key
