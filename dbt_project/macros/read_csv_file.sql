{#
    A CSV file read in place, every column as text. DuckDB reads files with read_csv; Spark
    would register the file as a table first (`using csv options (path ...)`).
#}
{% macro read_csv_file(path) -%}
    {{ return(adapter.dispatch('read_csv_file', 'customs')(path)) }}
{%- endmacro %}

{% macro default__read_csv_file(path) -%}
    {{ exceptions.raise_compiler_error('read_csv_file is not implemented for ' ~ target.type) }}
{%- endmacro %}

{% macro duckdb__read_csv_file(path) -%}
    read_csv('{{ path }}', header = true, all_varchar = true)
{%- endmacro %}
