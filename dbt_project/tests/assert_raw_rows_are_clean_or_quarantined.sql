{{ config(meta={'dagster': {'ref': {'name': 'stg_clickstream__quarantine'}}}) }}
{# Nothing is lost: in the partition window every raw record is either a clean event or a
   quarantined row. Returns the days where the counts disagree. #}
with raw as (
    select event_date, count(*) as n from {{ source('raw', 'events') }} where {{ in_window('event_date') }} group by 1
),
clean as (
    select event_date, count(*) as n from {{ ref('stg_clickstream__events') }} where {{ in_window('event_date') }} group by 1
),
quarantined as (
    select event_date, count(*) as n from {{ ref('stg_clickstream__quarantine') }} where {{ in_window('event_date') }} group by 1
)
select raw.event_date, raw.n as raw_rows, coalesce(clean.n, 0) as clean_rows, coalesce(quarantined.n, 0) as quarantined_rows
from raw
left join clean using (event_date)
left join quarantined using (event_date)
where raw.n <> coalesce(clean.n, 0) + coalesce(quarantined.n, 0)
