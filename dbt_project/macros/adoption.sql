{# How user_service_adoption is materialized: incremental on DuckDB (adoption_take_touched below). On
   Spark, whose parquet tables take no DELETE (and this one is not partitioned by day), a table rebuilt
   from all of history: the same rows as the incremental path by construction. #}
{% macro adoption_materialization() -%}
    {{ return(adapter.dispatch('adoption_materialization')()) }}
{%- endmacro %}

{% macro default__adoption_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__adoption_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{# The (user, service) pairs of user_service_adoption that a run rewrites, moved out of the table
   before the model inserts them again: those with usage in the window, and those whose span of
   use overlaps the window (their totals may hold a day being re-delivered). Kept in a table, not a
   temp table, so the model's compiled SELECT can be re-run on its own (benchmarks/bench_incremental.py). #}
{% macro adoption_touched_relation() -%}
    {{ this.database }}.intermediate.{{ this.identifier }}__touched
{%- endmacro %}

{% macro adoption_take_touched() -%}
    {%- if is_incremental() -%}
        {%- set overlaps = "first_used_date < " ~ window_date('max_date') ~ " and last_used_date >= " ~ window_date('min_date') -%}
        create or replace table {{ adoption_touched_relation() }} as
        select *, {{ overlaps }} as overlaps_window
        from {{ this }}
        where {{ overlaps }}
            or (user_id, service) in (
                select (user_id, service) from {{ ref('int_users__daily_service_usage') }} where {{ in_window('event_date') }}
            );
        delete from {{ this }} where (user_id, service) in (select (user_id, service) from {{ adoption_touched_relation() }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
