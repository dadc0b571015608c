{{ config(materialized='ephemeral') }}
{# Every raw record of the window with its typed fields and, when it fails validation,
   the first failing reason. Clean rows are selected from here; the quarantine is every
   other raw record of the window (stg_clickstream__quarantine), so count in = clean +
   quarantined by construction. #}

with source as (
    select * from {{ source('raw', 'events') }}
    where {{ in_window('event_date') }}
),

reasons as (
    {{ typed_raw_events('source') }}
),

deduplicated as (
    select
        *,
        -- Only rows that are otherwise valid compete, so a bad first copy never hides a good one.
        row_number() over (
            partition by event_date, event_id, row_reason is null order by source_file, source_row
        ) as occurrence
    from reasons
)

select
    *,
    coalesce(row_reason, case when occurrence > 1 then 'duplicate_event' end) as quarantine_reason
from deduplicated
