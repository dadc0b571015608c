{# Landing timestamps to a naive UTC timestamp: ISO-8601 (any offset; none means UTC),
   epoch seconds (10 digits) or epoch milliseconds (13 digits). NULL when unparseable. #}
{% macro parse_event_ts(column) -%}
    {{ return(adapter.dispatch('parse_event_ts')(column)) }}
{%- endmacro %}

{% macro default__parse_event_ts(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '[0-9]{10}')
            then timezone('UTC', to_timestamp(cast(trim({{ column }}) as bigint)))
        when regexp_full_match(trim({{ column }}), '[0-9]{13}')
            then timezone('UTC', to_timestamp(cast(trim({{ column }}) as bigint) / 1000.0))
        else timezone('UTC', try_cast(trim({{ column }}) as timestamptz))
    end
{%- endmacro %}

{# Spark (session time zone UTC): rlike finds a match anywhere and its '$' also matches before a final
   line break, so the length is checked too (DuckDB's regexp_full_match matches the whole text).
   Epoch milliseconds convert exactly (DuckDB's to_timestamp(ms / 1000.0) rounds a double to the
   microsecond, which gives the same value for whole milliseconds). ISO-8601 text goes through each
   engine's own timestamp parser: both read 'YYYY-MM-DD[ |T]HH:MM[:SS[.fraction]]' with 'Z', '+HH:MM',
   '+HHMM', ' UTC', a zone name or no offset, and a date alone; DuckDB also reads rarer forms such as
   '2026/01/05 10:00', which Spark leaves NULL (unparseable_timestamp). #}
{% macro spark__parse_event_ts(column) -%}
    case
        when trim({{ column }}) rlike '^[0-9]{10}$' and length(trim({{ column }})) = 10
            then timestamp_seconds(cast(trim({{ column }}) as bigint))
        when trim({{ column }}) rlike '^[0-9]{13}$' and length(trim({{ column }})) = 13
            then timestamp_millis(cast(trim({{ column }}) as bigint))
        else try_cast(trim({{ column }}) as timestamp)
    end
{%- endmacro %}

{# 'service;page' with whitespace and ';' folded to '_' (persona_dagster.sequences.activity_token). #}
{% macro activity_token(service, page) -%}
    {{ token_part(service) }} || ';' || {{ token_part(page) }}
{%- endmacro %}

{% macro token_part(value) -%}
    {{ return(adapter.dispatch('token_part')(value)) }}
{%- endmacro %}

{% macro default__token_part(value) -%}
    regexp_replace(trim({{ value }}), '[\t\n\f\r ;]+', '_', 'g')
{%- endmacro %}

{# Spark replaces every match without a flag (its 4th argument is a position) and reads backslash
   escapes in string literals, so the regex's own escapes are doubled. #}
{% macro spark__token_part(value) -%}
    regexp_replace(trim({{ value }}), '[\\t\\n\\f\\r ;]+', '_')
{%- endmacro %}
