{# Rows go in day order: later models read a look-back of days from this table, and DuckDB skips the
   row groups outside it only when days are not spread over every row group (a backfill of many days
   in one run inserted them in hash order; the 30-day look-back of day 366 then read the whole year). #}
select
    user_id,
    event_date,
    activity,
    count(*) as n_events
from {{ ref('stg_clickstream__events') }}
where {{ in_window('event_date') }}
group by all
order by event_date, user_id, activity
