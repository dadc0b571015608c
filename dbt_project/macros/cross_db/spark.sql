{# What only the Spark target needs: contract types in Spark's names, and the raw tables the sources read. #}

{# The contracts (models/marts/_marts.yml) name DuckDB types. On Spark each is checked as its Spark
   counterpart: varchar -> string, T[] -> array<T>, integer -> int, and hugeint (DuckDB's sum of
   integers, segment_index) -> bigint (Spark's sum of integers). Other names are the same in both. #}
{% macro spark_type(data_type) -%}
    {%- set name = data_type | trim | lower -%}
    {%- if name.endswith('[]') -%}
        array<{{ spark_type(name[:-2]) }}>
    {%- else -%}
        {{ {'varchar': 'string', 'text': 'string', 'integer': 'int', 'hugeint': 'bigint'}.get(name, name) }}
    {%- endif -%}
{%- endmacro %}

{# dbt checks a contract by comparing the model's columns with `select cast(null as <data_type>) ...`
   run on the target (dispatch search order in dbt_project.yml puts this project first). #}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if column.get('data_type') -%}
            {%- do column.update({'data_type': spark_type(column['data_type']) | trim}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(translated)) }}
{%- endmacro %}

{# on-run-start: on DuckDB the Python loaders write raw.*. On Spark, when PERSONA_DAGSTER_SPARK_RAW_DIR
   names a folder of parquet files (persona_dagster.warehouse.spark_sources.export_raw writes one per
   raw table), raw.<table> becomes an external table over <folder>/<table>; unset (a lakehouse whose
   raw.* tables already exist), nothing is created. The folder must be an absolute path or URI. #}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {#- Read only while executing, so the folder never enters the partial-parse state (partition_window.sql). -#}
    {%- set folder = env_var('PERSONA_DAGSTER_SPARK_RAW_DIR', '') if execute else '' -%}
    {%- if folder -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for table in ['events', 'activity_tasks', 'persona_tasks', 'personas', 'services'] -%}
            {%- do run_query("create table if not exists raw." ~ table ~ " using parquet location '"
                             ~ folder.rstrip('/') ~ "/" ~ table ~ "'") -%}
            {%- do run_query('refresh table raw.' ~ table) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
