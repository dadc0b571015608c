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
    {{ activity_token('service', 'page') }} as activity,
    country,
    city,
    billing_tier,
    case when billing_tier is null then billing_amount end as billing_amount,
    -- One scale for "most billed": tier rank 1..4, or the amount when a number was given.
    cast(coalesce(
        case billing_tier when 'Low' then 1 when 'Medium' then 2 when 'High' then 3 when 'Very High' then 4 end,
        billing_amount,
        0
    ) as double) as billing_weight,
    coalesce(action, 'view') as action,
    source_file,
    source_row
from checked
