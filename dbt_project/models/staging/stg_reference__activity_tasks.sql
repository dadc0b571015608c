{{ config(materialized='view') }}

with source as (
    select * from {{ source('raw', 'activity_tasks') }}
),

renamed as (
    select
        trim(service) as service,
        nullif(trim(page), '*') as page,
        trim(task) as task
    from source
    where nullif(trim(task), '') is not null
)

select * from renamed
