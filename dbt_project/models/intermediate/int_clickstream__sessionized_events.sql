{# Each clean event with its session. A given session_id is used as is; events without one
   start a new session after var('session_gap_minutes') of inactivity. Sessions never cross
   midnight UTC (partitions are days), so the key carries the date. #}

with events as (
    select * from {{ ref('stg_clickstream__events') }}
    where {{ in_window('event_date') }}
),

gaps as (
    select
        *,
        case
            when session_id is not null then 0
            when lag(event_ts) over w is null then 1
            when {{ gap_exceeds('event_ts', 'lag(event_ts) over w', var('session_gap_minutes') | int) }} then 1
            else 0
        end as starts_session
    from events
    window w as (partition by user_id, event_date, session_id is null order by event_ts, source_file, source_row)
),

numbered as (
    select
        *,
        sum(starts_session) over (
            partition by user_id, event_date, session_id is null
            order by event_ts, source_file, source_row
            rows between unbounded preceding and current row
        ) as gap_session_number
    from gaps
),

keyed as (
    select
        *,
        case
            when session_id is not null
                then {{ length_prefixed(['user_id', date_key('event_date'), "'s:' || session_id"]) }}
            else {{ length_prefixed(['user_id', date_key('event_date'), "'g:' || gap_session_number"]) }}
        end as session_key,
        session_id is null as is_inferred_session
    from numbered
)

select
    event_id,
    session_key,
    row_number() over (partition by session_key order by event_ts, source_file, source_row) as event_seq,
    user_id,
    session_id,
    is_inferred_session,
    event_ts,
    event_date,
    service,
    page,
    activity,
    country,
    city,
    billing_tier,
    billing_weight,
    action
from keyed
