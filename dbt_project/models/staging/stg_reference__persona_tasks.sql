{{ config(materialized='view') }}

with source as (
    select * from {{ source('raw', 'persona_tasks') }}
),

renamed as (
    select
        trim(persona) as persona,
        trim(task) as task,
        coalesce(try_cast(weight as double), 1.0) as weight
    from source
)

select * from renamed
