{# Each user-day's top pages, services and billed services as token lists, computed once when the day
   is built. int_sessions__context_tokens looks these up for the previous active day instead of
   re-ranking that day's page-level usage for every later day that looks back (day 366 of a simulated
   year: 52k page rows of the 30-day look-back read per day, now one row per user-day).
   Rows go in day order for the look-back's row-group pruning (see int_users__daily_service_usage). #}

{% set top_n = var('context_top_n') | int %}
{# Counts ranked by their negation, ascending: the same order as `desc` (NULLs last either way), and
   ordered_list's list_sort path instead of DuckDB's ordered aggregate (macros/cross_db/lists.sql:
   on a 1M-event day this model took 1.65 s with `desc`). #}

with pages as (
    select user_id, event_date,
        {{ list_head(ordered_list('activity', ['-n_events', 'activity']), top_n) }} as page_tokens
    from {{ ref('int_users__daily_activity_usage') }}
    where {{ in_window('event_date') }}
    group by all
),

services as (
    select user_id, event_date,
        {{ list_head(ordered_list(token_part('service'), ['-n_events', 'service']), top_n) }} as service_tokens,
        {{ list_head(ordered_list(token_part('service'), ['-billed_weight', 'service'],
            filter='billed_weight > 0'), top_n) }} as billed_tokens
    from {{ ref('int_users__daily_service_usage') }}
    where {{ in_window('event_date') }}
    group by all
)

select s.user_id, s.event_date, p.page_tokens, s.service_tokens, s.billed_tokens
from services as s
left join pages as p using (user_id, event_date)
order by s.event_date, s.user_id
