{{ config(
    materialized=adoption_materialization(),
    partition_by=none,
    window_column=none,
    pre_hook="{{ adoption_take_touched() }}",
) }}
{# First and last use of each service per user over all loaded days. A run rewrites only the
   (user, service) pairs its window touches (macros/adoption.sql takes them out first): a pair
   whose days so far lie outside the window adds the window's usage to its totals; a pair whose
   span overlaps the window (the day is a re-delivery) is recomputed from its whole history, so a
   re-delivered day corrects first-use dates too, and a pair left with no usage disappears. #}

with usage as (
    select * from {{ ref('int_users__daily_service_usage') }}
    {% if is_incremental() %}where {{ in_window('event_date') }}{% endif %}
),

window_pairs as (
    select
        user_id,
        service,
        min(event_date) as first_used_date,
        min(first_ts) as first_used_at,
        max(event_date) as last_used_date,
        max(last_ts) as last_used_at,
        count(*) as n_days_used,
        cast(sum(n_events) as bigint) as n_events
    from usage
    group by all
)

{% if is_incremental() %}
, touched as (
    select * from {{ adoption_touched_relation() }}
),

recomputed as (
    select
        u.user_id,
        u.service,
        min(u.event_date) as first_used_date,
        min(u.first_ts) as first_used_at,
        max(u.event_date) as last_used_date,
        max(u.last_ts) as last_used_at,
        count(*) as n_days_used,
        cast(sum(u.n_events) as bigint) as n_events
    from {{ ref('int_users__daily_service_usage') }} as u
    semi join (select user_id, service from touched where overlaps_window) as t using (user_id, service)
    group by all
)

select * from recomputed
union all
select
    w.user_id,
    w.service,
    least(w.first_used_date, t.first_used_date) as first_used_date,
    least(w.first_used_at, t.first_used_at) as first_used_at,
    greatest(w.last_used_date, t.last_used_date) as last_used_date,
    greatest(w.last_used_at, t.last_used_at) as last_used_at,
    w.n_days_used + coalesce(t.n_days_used, 0) as n_days_used,
    cast(w.n_events + coalesce(t.n_events, 0) as bigint) as n_events
from window_pairs as w
left join touched as t using (user_id, service)
where not coalesce(t.overlaps_window, false)
{% else %}
select * from window_pairs
{% endif %}
