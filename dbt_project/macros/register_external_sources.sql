{#
    Sources are Parquet files under CUSTOMS_HOME (or an object store URI). dbt-duckdb reads them
    in place from each source's `meta.external_location` (read_parquet); other engines need a
    table over the files first. Run at the start of every invocation (on-run-start), this
    (re)creates on Spark one unmanaged table per source with a `spark_location` in its meta:
    the folder read recursively (or the one file), with the columns and types of its zero-row
    `_schema.parquet` (`spark_schema_file`; the file itself for a one-file source), so a feed
    that delivered nothing yet is an empty table and files missing a column read it as null
    (DuckDB's union_by_name). Dropping such a table never deletes the files.
#}
{% macro register_external_sources() -%}
    {{ return(adapter.dispatch('register_external_sources', 'customs')()) }}
{%- endmacro %}

{% macro default__register_external_sources() -%}
    {#- DuckDB: nothing to do, sources are read through meta.external_location. -#}
    select 1
{%- endmacro %}

{% macro spark__register_external_sources() -%}
    {%- if execute -%}
        {%- for source in graph.sources.values() if source.package_name == project_name -%}
            {%- set meta = source.config.get('meta') or source.meta or {} -%}
            {%- if meta.get('spark_location') -%}
                {%- set location = meta.spark_location | replace('{name}', source.name) | trim -%}
                {%- set schema_file = (meta.get('spark_schema_file') or location)
                    | replace('{name}', source.name) | trim -%}
                {%- set described = run_query(
                    'describe query select * from parquet.`' ~ schema_file ~ '`'
                ) -%}
                {%- set columns = [] -%}
                {%- for row in described.rows -%}
                    {%- do columns.append('`' ~ row[0] ~ '` ' ~ row[1]) -%}
                {%- endfor -%}
                {%- set table = source.schema ~ '.' ~ source.identifier -%}
                {%- do run_query('create schema if not exists ' ~ source.schema) -%}
                {%- do run_query('drop table if exists ' ~ table) -%}
                {%- do run_query(
                    'create table ' ~ table ~ ' (' ~ columns | join(', ') ~ ') using parquet'
                    ~ " options (path '" ~ location ~ "', recursiveFileLookup 'true',"
                    ~ " pathGlobFilter '*.parquet')"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
