with checked as (
    select * from {{ ref('stg_clickstream__events_checked') }}
    where quarantine_reason is null
)

select
    event_id,
    user_id,
    session_id,
    event_ts,
    event_date,
    service,
    page,
    activity,
    country,
    city,
    billing_tier,
    case when billing_tier is null then billing_amount end as billing_amount,
    billing_weight,
    coalesce(action, 'view') as action,
    source_file,
    source_row
from checked
