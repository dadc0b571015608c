{# Each clean event with its session. A given session_id is used as is; events without one
   start a new session after var('session_gap_minutes') of inactivity. Sessions never cross
   midnight UTC (partitions are days), so the key carries the date.
   The two kinds take separate paths, each reading the staging table for its own rows: a given
   session needs only its events' order (one window over the session), a gap session the gaps of
   the user's day (lag, then a running count of starts; its event_seq is its row number in the
   user's day minus that of the session's first event). Three windows over every event (lag, the
   running count, then row_number over session_key) cost 3.75 s on a 999k-event day, these 2.71 s
   (same machine, same run), with the same rows. #}

{% set order_by = 'event_ts, source_file, source_row' %}

with given_sessions as (
    select
        *,
        row_number() over (partition by user_id, event_date, session_id order by {{ order_by }}) as event_seq,
        {{ length_prefixed(['user_id', date_key('event_date'), "'s:' || session_id"]) }} as session_key
    from {{ ref('stg_clickstream__events') }}
    where {{ in_window('event_date') }} and session_id is not null
),

gap_events as (
    select
        *,
        lag(event_ts) over w as previous_ts,
        row_number() over w as day_seq
    from {{ ref('stg_clickstream__events') }}
    where {{ in_window('event_date') }} and session_id is null
    window w as (partition by user_id, event_date order by {{ order_by }})
),

gaps as (
    select
        *,
        case
            when previous_ts is null then 1
            when {{ gap_exceeds('event_ts', 'previous_ts', var('session_gap_minutes') | int) }} then 1
            else 0
        end as starts_session
    from gap_events
),

numbered as (
    select
        *,
        sum(starts_session) over w as gap_session_number,
        max(case when starts_session = 1 then day_seq end) over w as session_first_seq
    from gaps
    window w as (partition by user_id, event_date order by {{ order_by }} rows between unbounded preceding and current row)
),

gap_sessions as (
    select
        *,
        day_seq - session_first_seq + 1 as event_seq,
        {{ length_prefixed(['user_id', date_key('event_date'), "'g:' || gap_session_number"]) }} as session_key
    from numbered
),

keyed as (
    {% for relation in ['given_sessions', 'gap_sessions'] %}
    select
        event_id,
        session_key,
        event_seq,
        user_id,
        session_id,
        session_id is null as is_inferred_session,
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
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from keyed
