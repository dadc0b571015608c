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
    select
        e.*,
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
        select *, lag(intent) over (partition by session_key order by event_seq) as prev_intent
        from with_intent
    )
),

-- First occurrence of each service and page in a segment: group-bys, cheaper in DuckDB than windows.
services as (
    select session_key, segment_index, {{ ordered_list('service', ['first_seq']) }} as services
    from (
        select session_key, segment_index, service, min(event_seq) as first_seq
        from islands
        group by all
    )
    group by all
),

pages as (
    -- 'service;page' with the names as landed (not the activity token), so it joins with the other marts.
    select session_key, segment_index, {{ ordered_list("service || ';' || page", ['first_seq']) }} as pages
    from (
        select session_key, segment_index, service, page, min(event_seq) as first_seq
        from islands
        group by all
    )
    group by all
),

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
        {{ ordered_list('event_id', ['event_seq']) }} as event_ids
    from islands
    group by session_key, segment_index
)

select
    md5(s.session_key || '#' || s.segment_index) as segment_id,
    s.user_id,
    s.session_key,
    s.segment_index,
    s.intent,
    s.intent_source,
    s.start_ts,
    s.end_ts,
    s.n_actions,
    s.n_distinct_pages,
    sv.services,
    p.pages,
    s.event_ids,
    s.event_date
from segments as s
join services as sv using (session_key, segment_index)
join pages as p using (session_key, segment_index)
