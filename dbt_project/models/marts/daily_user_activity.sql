with usage as (
    select * from {{ ref('int_users__daily_service_usage') }}
    where {{ in_window('event_date') }}
),

sessions as (
    select user_id, event_date, count(*) as n_sessions
    from {{ ref('sessions') }}
    where {{ in_window('event_date') }}
    group by all
),

adoption as (
    select user_id, service, first_used_date from {{ ref('user_service_adoption') }}
)

select
    u.user_id,
    u.event_date,
    s.n_sessions,
    cast(sum(u.n_events) as bigint) as n_events,
    count(*) as n_services,
    cast(sum(u.n_activities) as bigint) as n_activities,
    min(u.first_ts) as first_ts,
    max(u.last_ts) as last_ts,
    {{ first_ordered('u.service', ['u.n_events desc', 'u.service']) }} as top_service,
    count(*) filter (where a.first_used_date = u.event_date) as n_new_services
from usage as u
join sessions as s using (user_id, event_date)
join adoption as a using (user_id, service)
group by u.user_id, u.event_date, s.n_sessions
