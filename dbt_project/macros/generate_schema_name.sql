{# Layers land in schemas named exactly staging / intermediate / marts (no target prefix),
   so consumers query marts.* whatever the target. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
