{{ config(materialized='ephemeral') }}
{# Every raw record of the window with its typed fields and, when it fails validation,
   the first failing reason. Clean rows and quarantine are both selected from here, so
   count in = clean + quarantined by construction. #}

with source as (
    select * from {{ source('raw', 'events') }}
    where {{ in_window('event_date') }}
),

typed as (
    select
        event_date,
        source_file,
        source_row,
        nullif(trim(event_id), '') as event_id_given,
        nullif(trim(user_id), '') as user_id,
        nullif(trim(session_id), '') as session_id,
        ts as ts_text,
        {{ parse_event_ts('ts') }} as event_ts,
        nullif(trim(service), '') as service,
        nullif(trim(page), '') as page,
        nullif(trim(country), '') as country,
        nullif(trim(city), '') as city,
        nullif(trim(billing_tier), '') as billing_tier_text,
        nullif(trim(action), '') as action,
        extra_columns,
        parse_error,
        raw_record,
        -- Rows without an event_id get a content hash, so exact re-sends collapse to one event.
        coalesce(
            nullif(trim(event_id), ''),
            'd-' || left(md5({{ length_prefixed(['user_id', 'session_id', 'ts', 'service', 'page', 'action']) }}), 20)
        ) as event_id
    from source
),

billing as (
    select
        *,
        case lower(billing_tier_text)
            when 'low' then 'Low' when 'medium' then 'Medium'
            when 'high' then 'High' when 'very high' then 'Very High'
        end as billing_tier,
        try_cast(billing_tier_text as double) as billing_amount
    from typed
),

reasons as (
    select
        *,
        case
            when parse_error is not null then 'unparseable_row'
            when extra_columns is not null then 'unknown_columns'
            when user_id is null then 'missing_user_id'
            when ts_text is null or trim(ts_text) = '' then 'missing_timestamp'
            when event_ts is null then 'unparseable_timestamp'
            when cast(event_ts as date) <> event_date then 'ts_outside_partition'
            when service is null then 'empty_service'
            when page is null then 'missing_page'
            when billing_tier_text is not null and billing_tier is null
                and (billing_amount is null or billing_amount < 0 or not {{ is_finite('billing_amount') }})
                then 'invalid_billing_tier'
        end as row_reason
    from billing
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
