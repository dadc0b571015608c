{{ config(materialized='view') }}

with source as (
    select * from {{ source('raw', 'personas') }}
),

renamed as (
    select trim(persona) as persona, description from source
)

select * from renamed
