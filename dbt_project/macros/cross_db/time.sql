{# Dates, timestamps and numbers. default__ is the DuckDB SQL the models always ran; spark__ the Spark
   SQL giving the same values (the Spark profile sets the session time zone to UTC, as DuckDB's does). #}

{# A date as 'YYYYMMDD'. #}
{% macro date_key(date) -%}
    {{ return(adapter.dispatch('date_key')(date)) }}
{%- endmacro %}

{% macro default__date_key(date) -%}
    strftime({{ date }}, '%Y%m%d')
{%- endmacro %}

{% macro spark__date_key(date) -%}
    date_format({{ date }}, 'yyyyMMdd')
{%- endmacro %}

{# `days` days before a date. DuckDB's is a timestamp (midnight), Spark's a date: compared with a
   date column both select the same days. #}
{% macro date_minus_days(date, days) -%}
    {{ return(adapter.dispatch('date_minus_days')(date, days)) }}
{%- endmacro %}

{% macro default__date_minus_days(date, days) -%}
    {{ date }} - interval ({{ days }}) day
{%- endmacro %}

{% macro spark__date_minus_days(date, days) -%}
    date_sub({{ date }}, {{ days }})
{%- endmacro %}

{# True when `later` is more than `minutes` minutes after `earlier`. #}
{% macro gap_exceeds(later, earlier, minutes) -%}
    {{ return(adapter.dispatch('gap_exceeds')(later, earlier, minutes)) }}
{%- endmacro %}

{% macro default__gap_exceeds(later, earlier, minutes) -%}
    {{ later }} - {{ earlier }} > interval ({{ minutes }}) minute
{%- endmacro %}

{% macro spark__gap_exceeds(later, earlier, minutes) -%}
    {{ later }} - {{ earlier }} > interval {{ minutes }} minute
{%- endmacro %}

{# Whole-second boundaries crossed from `earlier` to `later` (DuckDB's date_diff('second')), a bigint. #}
{% macro seconds_between(earlier, later) -%}
    {{ return(adapter.dispatch('seconds_between')(earlier, later)) }}
{%- endmacro %}

{% macro default__seconds_between(earlier, later) -%}
    date_diff('second', {{ earlier }}, {{ later }})
{%- endmacro %}

{% macro spark__seconds_between(earlier, later) -%}
    (unix_seconds({{ later }}) - unix_seconds({{ earlier }}))
{%- endmacro %}

{# A double that is neither NaN nor infinite (NULL stays NULL). #}
{% macro is_finite(value) -%}
    {{ return(adapter.dispatch('is_finite')(value)) }}
{%- endmacro %}

{% macro default__is_finite(value) -%}
    isfinite({{ value }})
{%- endmacro %}

{% macro spark__is_finite(value) -%}
    (not isnan({{ value }}) and abs({{ value }}) != double('inf'))
{%- endmacro %}
