{#
    dbt-duckdb ships no `duckdb__safe_cast`, so `dbt.safe_cast` falls back to a plain cast that
    fails the whole query on one bad value. DuckDB's try_cast returns null instead.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
