{# The partition window [min_date, max_date) from vars. Values are checked to be plain dates
   before they reach SQL, so a crafted var cannot inject anything. #}
{% macro window_date(name) -%}
    {%- set value = var(name) | string -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a YYYY-MM-DD date, got: " ~ value) }}
    {%- endif -%}
    date '{{ value }}'
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= {{ window_date('min_date') }} and {{ column }} < {{ window_date('max_date') }})
{%- endmacro %}

{# Incremental models replace exactly the window: delete it, then the model inserts it.
   Unlike unique_key-based delete+insert this also clears a day that became empty. #}
{% macro delete_window(column='event_date') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ in_window(column) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
