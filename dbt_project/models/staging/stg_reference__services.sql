{{ config(materialized='view') }}

with source as (
    select * from {{ source('raw', 'services') }}
),

renamed as (
    select trim(service) as service, description from source
)

select * from renamed
