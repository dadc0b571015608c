{{ config(materialized='table') }}
{# First and last use of each service per user over all loaded days. Rebuilt whole from the
   small daily usage table, so a re-delivered day corrects first-use dates too. #}

select
    user_id,
    service,
    min(event_date) as first_used_date,
    min(first_ts) as first_used_at,
    max(event_date) as last_used_date,
    max(last_ts) as last_used_at,
    count(*) as n_days_used,
    sum(n_events)::bigint as n_events
from {{ ref('int_users__daily_service_usage') }}
group by all
