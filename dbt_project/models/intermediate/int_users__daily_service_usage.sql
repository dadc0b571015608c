select
    user_id,
    event_date,
    service,
    count(*) as n_events,
    count(distinct activity) as n_activities,
    sum(billing_weight) as billed_weight,
    min(event_ts) as first_ts,
    max(event_ts) as last_ts
from {{ ref('stg_clickstream__events') }}
where {{ in_window('event_date') }}
group by all
