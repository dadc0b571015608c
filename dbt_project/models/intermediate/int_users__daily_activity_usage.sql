select
    user_id,
    event_date,
    activity,
    count(*) as n_events
from {{ ref('stg_clickstream__events') }}
where {{ in_window('event_date') }}
group by all
