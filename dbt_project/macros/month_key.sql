{# First day of the month of a date, as a date. #}
{% macro month_start(date_column) -%}
    cast({{ dbt.date_trunc('month', date_column) }} as date)
{%- endmacro %}

{# 'YYYY-MM' of a date: each engine formats dates differently. #}
{% macro month_key(date_column) -%}
    {{ return(adapter.dispatch('month_key', 'customs')(date_column)) }}
{%- endmacro %}

{% macro default__month_key(date_column) -%}
    to_char({{ date_column }}, 'YYYY-MM')
{%- endmacro %}

{% macro duckdb__month_key(date_column) -%}
    strftime({{ date_column }}, '%Y-%m')
{%- endmacro %}

{% macro spark__month_key(date_column) -%}
    date_format({{ date_column }}, 'yyyy-MM')
{%- endmacro %}
