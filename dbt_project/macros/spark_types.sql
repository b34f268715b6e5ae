{#
    The project's YAML names column types the DuckDB way (seed column_types, contract
    data_types): `varchar`, `timestamp with time zone`. Spark spells them `string` and
    `timestamp` (a UTC instant shown in the session time zone) and rejects a bare `varchar`.
    These overrides of dbt-spark's seed and contract macros translate each declared type, so the
    YAML stays one file for both engines and contracts stay enforced on Spark too.
#}
-- The SQL inside these macros is dbt-spark's own, indented as the Jinja around it.
-- noqa: disable=LT02
{% macro spark_type(data_type) -%}
    {%- set normalized = data_type | string | trim | lower -%}
    {%- set translated = {
        'varchar': 'string',
        'text': 'string',
        'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp',
        'timestamp without time zone': 'timestamp_ntz',
        'double precision': 'double',
        'real': 'float',
        'hugeint': 'decimal(38, 0)',
    } -%}
    {%- if normalized.startswith('varchar(') -%}
        string
    {%- else -%}
        {{ translated.get(normalized, data_type) }}
    {%- endif -%}
{%- endmacro %}

{# dbt-spark's spark__get_empty_schema_sql (contracts): each declared type translated. #}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name].copy() if columns[name] is mapping else columns[name] -%}
        {%- if column.get('data_type') is not none -%}
            {%- do column.update({'data_type': spark_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(translated)) }}
{%- endmacro %}

{# dbt-spark's spark__create_csv_table with each column_types entry translated. #}
{% macro spark__create_csv_table(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {%- set sql -%}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names -%}
                {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                {%- set type = spark_type(column_override.get(col_name, inferred_type)) -%}
                {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }} {{ type }}
                {%- if not loop.last -%}, {% endif -%}
            {%- endfor -%}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {%- endset -%}
    {%- call statement('_') -%}
        {{ sql }}
    {%- endcall -%}
    {{ return(sql) }}
{%- endmacro %}

{#
    dbt-spark's spark__load_csv_rows, with each column_types entry translated and the values
    written as SQL literals: its session method pastes bindings in unescaped (a quote in a value
    breaks the statement, an empty cell becomes the text 'None').
#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
        {%- do types.append(spark_type(column_override.get(col_name, inferred_type))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ spark_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{%- endmacro %}

{# A seed cell as a Spark SQL literal: null, true/false, an exact number, or quoted text. #}
{% macro spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}
