{#
    Use a model's custom schema as is (`marts`, `audit`, ...) instead of dbt's default
    `<target schema>_<custom schema>`: analysts and reports query `marts.fct_customs_valuation`
    and `audit.file_loads` whatever the target is called.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
