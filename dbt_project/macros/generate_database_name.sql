{#
    A model's custom database is an attached DuckDB file (profiles.yml: `attach`): the
    intermediate models live in `build_intermediate`, beside the build file, so the published
    copy of the build file holds only marts, audit and staging. Other engines (Spark) keep
    every model in the target's database.
#}
{% macro generate_database_name(custom_database_name, node) -%}
    {%- if custom_database_name is none or target.type != 'duckdb' -%}
        {{ target.database }}
    {%- else -%}
        {{ custom_database_name | trim }}
    {%- endif -%}
{%- endmacro %}
