{#
    The calendar date (UTC) of a timestamp with time zone. DuckDB casts a timestamptz to a date in
    the session time zone, so convert to UTC explicitly; engines that keep UTC sessions (Spark with
    spark.sql.session.timeZone=UTC, Trino) can cast directly.
#}
{% macro utc_date(column) -%}
    {{ return(adapter.dispatch('utc_date', 'customs')(column)) }}
{%- endmacro %}

{% macro default__utc_date(column) -%}
    cast({{ column }} as date)
{%- endmacro %}

{% macro duckdb__utc_date(column) -%}
    cast(timezone('UTC', {{ column }}) as date)
{%- endmacro %}
