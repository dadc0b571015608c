{# Context sections of a user's sessions on a day. Daily and monthly sections describe the
   days BEFORE it (the user's previous active day; the look-back window), never the day
   itself, so a session's context cannot leak the activities a model must predict. #}

{% set top_n = var('context_top_n') | int %}
{% set lookback = var('context_lookback_days') | int %}
{# Constant bounds on history, so a day's run reads only its look-back, not all the past. #}
{% set history_bounds = "event_date >= " ~ window_date_minus('min_date', lookback) ~ " and event_date < " ~ window_date('max_date') %}

with service_history as (
    select * from {{ ref('int_users__daily_service_usage') }} where {{ history_bounds }}
),

{# One row per active user-day with its ranked token lists (int_users__daily_top_tokens). #}
day_history as (
    select * from {{ ref('int_users__daily_top_tokens') }} where {{ history_bounds }}
),

user_days as (
    select
        user_id,
        event_date,
        {{ first_ordered('country', ['event_ts desc', 'country']) }} as country,
        {{ first_ordered('city', ['event_ts desc', 'city']) }} as city
    from {{ ref('stg_clickstream__events') }}
    where {{ in_window('event_date') }}
    group by all
),

previous_day as (
    select
        d.user_id,
        d.event_date,
        max(h.event_date) as previous_date
    from user_days as d
    join day_history as h
        on h.user_id = d.user_id
        and h.event_date < d.event_date
        and h.event_date >= {{ date_minus_days('d.event_date', lookback) }}
    group by all
),

previous_tokens as (
    select p.user_id, p.event_date, h.page_tokens, h.service_tokens, h.billed_tokens
    from previous_day as p
    join day_history as h
        on h.user_id = p.user_id and h.event_date = p.previous_date
),

monthly_billed as (
    select user_id, event_date,
        {{ list_head(ordered_list('token', ['-billed', 'token']), top_n) }} as tokens
    from (
        select d.user_id, d.event_date, {{ token_part('s.service') }} as token, sum(s.billed_weight) as billed
        from user_days as d
        join service_history as s
            on s.user_id = d.user_id
            and s.event_date < d.event_date
            and s.event_date >= {{ date_minus_days('d.event_date', lookback) }}
        where s.billed_weight > 0
        group by all
    )
    group by all
)

select
    d.user_id,
    d.event_date,
    {{ non_null_list([
        "case when d.country is not null then 'country:' || " ~ token_part('d.country') ~ " end",
        "case when d.city is not null then 'city:' || " ~ token_part('d.city') ~ " end",
    ]) }} as location_tokens,
    coalesce(pt.page_tokens, {{ empty_string_list() }}) as daily_page_tokens,
    coalesce(pt.service_tokens, {{ empty_string_list() }}) as daily_service_tokens,
    coalesce(pt.billed_tokens, {{ empty_string_list() }}) as daily_billed_tokens,
    coalesce(mb.tokens, {{ empty_string_list() }}) as monthly_billed_tokens
from user_days as d
left join previous_tokens as pt using (user_id, event_date)
left join monthly_billed as mb using (user_id, event_date)
