{# Intent segments: runs of contiguous events in a session with the same intent
   (gaps-and-islands). The intent is the activity's task from the activity->task map
   (an exact service+page entry wins over a whole-service entry), else the service. #}

with events as (
    select * from {{ ref('int_clickstream__sessionized_events') }}
    where {{ in_window('event_date') }}
),

tasks as (
    select * from {{ ref('stg_reference__activity_tasks') }}
),

with_intent as (
    -- Only the columns the segments use: the windows below carry every column they are given.
    select
        e.session_key,
        e.event_seq,
        e.event_id,
        e.user_id,
        e.event_date,
        e.event_ts,
        e.service,
        e.page,
        coalesce(exact.task, whole.task, e.service) as intent,
        case when coalesce(exact.task, whole.task) is null then 'service' else 'task' end as intent_source
    from events as e
    left join tasks as exact on exact.service = e.service and exact.page = e.page
    left join tasks as whole on whole.service = e.service and whole.page is null
),

islands as (
    select
        *,
        sum(case when intent is distinct from prev_intent then 1 else 0 end) over (
            partition by session_key order by event_seq rows between unbounded preceding and current row
        ) as segment_index
    from (
        select
            *,
            lag(intent) over (partition by session_key order by event_seq) as prev_intent
        from with_intent
    )
),

-- One group-by per segment: its services and pages in order of first occurrence come from the
-- ordered lists (three extra group-bys and two joins cost 3.6x the whole model on a 1M-event day).
segments as (
    select
        session_key,
        segment_index,
        any_value(user_id) as user_id,
        any_value(event_date) as event_date,
        any_value(intent) as intent,
        any_value(intent_source) as intent_source,
        min(event_ts) as start_ts,
        max(event_ts) as end_ts,
        count(*) as n_actions,
        {{ count_distinct_tuple(['service', 'page']) }} as n_distinct_pages,
        {{ ordered_list('event_id', ['event_seq']) }} as event_ids,
        {{ ordered_list('service', ['event_seq']) }} as all_services,
        -- 'service;page' with the names as landed (not the activity token), so it joins with the other marts.
        {{ ordered_list("service || ';' || page", ['event_seq']) }} as all_pages
    from islands
    group by session_key, segment_index
)

select
    md5(session_key || '#' || segment_index) as segment_id,
    user_id,
    session_key,
    segment_index,
    intent,
    intent_source,
    start_ts,
    end_ts,
    n_actions,
    n_distinct_pages,
    {{ distinct_in_order('all_services') }} as services,
    {{ distinct_in_order('all_pages') }} as pages,
    event_ids,
    event_date
from segments
