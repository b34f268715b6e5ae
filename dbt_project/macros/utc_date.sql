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

{#
    DuckDB stores a timestamptz as microseconds since the epoch in UTC: make_timestamp of those
    microseconds is the UTC wall time as a plain timestamp, whose date needs no time zone
    lookup. Same dates as cast(timezone('UTC', ts) as date) in any session time zone, from year
    1 to 9999, about 5x cheaper: the daily build derives a date for every order line of the
    history it scans (2.6M on day 30 of the benchmark; docs/benchmarks.md, ninth round).
#}
{% macro duckdb__utc_date(column) -%}
    cast(make_timestamp(epoch_us({{ column }})) as date)
{%- endmacro %}
