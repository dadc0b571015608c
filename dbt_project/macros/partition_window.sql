{# The partition window [min_date, max_date): PERSONA_DAGSTER_MIN_DATE / _MAX_DATE when set, else the
   vars. The environment is read only while executing: dbt records env vars (and --vars) read during
   parsing in its partial-parse state, so a window there would force a full re-parse on every run.
   Values are checked to be plain dates before they reach SQL, so a crafted one cannot inject anything. #}
{% macro window_value(name) -%}
    {%- set value = ((env_var('PERSONA_DAGSTER_' ~ name | upper, '') if execute else '') or var(name)) | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a YYYY-MM-DD date, got: " ~ value) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{% macro window_date(name) -%}
    date '{{ window_value(name) }}'
{%- endmacro %}

{# window_date(name) moved `days` back, as a date literal: `date - interval` is a timestamp, and
   comparing a date column with it casts the column, which keeps DuckDB from pruning the scan. #}
{% macro window_date_minus(name, days) -%}
    {%- set value = window_date(name) | trim -%}
    {%- set day = modules.datetime.date.fromisoformat(value[6:16]) - modules.datetime.timedelta(days=days | int) -%}
    date '{{ day.isoformat() }}'
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= {{ window_date('min_date') }} and {{ column }} < {{ window_date('max_date') }})
{%- endmacro %}

{# Incremental models replace exactly the window: delete it, then the model inserts it.
   Unlike unique_key-based delete+insert this also clears a day that became empty.
   A model that is not day-grained sets config window_column=none and replaces its rows itself. #}
{% macro delete_window() -%}
    {{ return(adapter.dispatch('delete_window')()) }}
{%- endmacro %}

{% macro default__delete_window() -%}
    {%- set column = config.get('window_column', 'event_date') -%}
    {%- if is_incremental() and column -%}
        delete from {{ this }} where {{ in_window(column) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{# Spark (parquet tables, no DELETE): day-grained tables are partitioned by their window column
   (dbt_project.yml), so the window's partitions are dropped; the model then appends the window. #}
{% macro spark__delete_window() -%}
    {%- set column = config.get('window_column', 'event_date') -%}
    {%- set dropped = [] -%}
    {%- if is_incremental() and column and execute -%}
        {%- set first, last = window_value('min_date'), window_value('max_date') -%}
        {%- for row in run_query('show partitions ' ~ this) -%}
            {%- set day = row[0].split('=', 1)[1] -%}
            {%- if first <= day < last -%}
                {%- do dropped.append("partition (" ~ column ~ " = date '" ~ day ~ "')") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if dropped -%}
        alter table {{ this }} drop if exists {{ dropped | join(', ') }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
