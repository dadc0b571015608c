{# Landing timestamps to a naive UTC timestamp: ISO-8601 (any offset; none means UTC),
   epoch seconds (10 digits) or epoch milliseconds (13 digits). NULL when unparseable. #}
{% macro parse_event_ts(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{10}')
            then timezone('UTC', to_timestamp(cast(trim({{ column }}) as bigint)))
        when regexp_full_match(trim({{ column }}), '[0-9]{13}')
            then timezone('UTC', to_timestamp(cast(trim({{ column }}) as bigint) / 1000.0))
        else timezone('UTC', try_cast(trim({{ column }}) as timestamptz))
    end
{%- endmacro %}

{# 'service;page' with whitespace and ';' folded to '_' (persona_dagster.sequences.activity_token). #}
{% macro activity_token(service, page) -%}
    {{ token_part(service) }} || ';' || {{ token_part(page) }}
{%- endmacro %}

{% macro token_part(value) -%}
    regexp_replace(trim({{ value }}), '[\t\n\f\r ;]+', '_', 'g')
{%- endmacro %}
