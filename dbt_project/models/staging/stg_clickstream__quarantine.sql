{# The raw records of the window that are not clean events: each one failed validation
   (row_reason) or is a later copy of a valid event (stg_clickstream__events_checked keeps the
   first). Selected as the complement of stg_clickstream__events, so raw = clean + quarantined by
   construction, and only these few records are typed again (raw (event_date, source_file, source_row)
   is unique: raw_load numbers each file's records). Selecting it from the checked records instead
   typed and deduplicated every raw record twice: 1.12 s for a 999k-event day with no quarantined
   row, 0.16 s this way (same machine, same run). #}

with clean as (
    select event_date, source_file, source_row from {{ ref('stg_clickstream__events') }}
    where {{ in_window('event_date') }}
),

-- An anti-join written as a left join (both engines; a correlated NOT EXISTS cost DuckDB 0.6 s here).
unclean as (
    select r.*
    from {{ source('raw', 'events') }} as r
    left join clean as c
        on c.event_date = r.event_date and c.source_file = r.source_file and c.source_row = r.source_row
    where {{ in_window('r.event_date') }} and c.source_row is null
),

checked as (
    {{ typed_raw_events('unclean') }}
)

select
    event_date,
    source_file,
    source_row,
    coalesce(row_reason, 'duplicate_event') as quarantine_reason,
    event_id,
    user_id,
    session_id,
    ts_text as ts,
    service,
    page,
    country,
    city,
    billing_tier_text as billing_tier,
    action,
    extra_columns,
    parse_error,
    raw_record
from checked
