{# Fields as <bytes>:<text> joined by '|', NULL as '-1:'. Decoding is unambiguous whatever a value
   holds ('|', ':', digits), so distinct field lists never give the same text (concat_ws does when a
   value holds the separator, and skips NULLs). Used for content hashes and session keys. #}
{% macro length_prefixed(fields) -%}
    {{ return(adapter.dispatch('length_prefixed')(fields)) }}
{%- endmacro %}

{# <bytes> is the UTF-8 length: DuckDB's strlen, Spark's octet_length. #}
{% macro default__length_prefixed(fields) -%}
    {%- for f in fields -%}
        coalesce(strlen(({{ f }})::varchar)::varchar || ':' || ({{ f }})::varchar, '-1:')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro spark__length_prefixed(fields) -%}
    {%- for f in fields -%}
        coalesce(cast(octet_length(cast(({{ f }}) as string)) as string) || ':' || cast(({{ f }}) as string), '-1:')
        {%- if not loop.last %} || '|' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
