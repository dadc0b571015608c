select
    event_date,
    source_file,
    source_row,
    quarantine_reason,
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
from {{ ref('stg_clickstream__events_checked') }}
where quarantine_reason is not null
