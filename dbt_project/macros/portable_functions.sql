{#
    Functions each engine spells differently, for models that need them (the risk models still
    call the DuckDB names directly; docs/scaling.md lists which call maps to which macro).
#}

{# Exact quantile with linear interpolation (not an approximation on either engine). #}
{% macro percentile_cont(column, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'customs')(column, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}

{# The value of `column` on the row where `ordering` is largest. #}
{% macro arg_max(column, ordering) -%}
    {{ return(adapter.dispatch('arg_max', 'customs')(column, ordering)) }}
{%- endmacro %}

{% macro default__arg_max(column, ordering) -%}
    arg_max({{ column }}, {{ ordering }})
{%- endmacro %}

{% macro spark__arg_max(column, ordering) -%}
    max_by({{ column }}, {{ ordering }})
{%- endmacro %}

{# One output row per element of an array expression (in a select list). #}
{% macro unnest_array(array_expression) -%}
    {{ return(adapter.dispatch('unnest_array', 'customs')(array_expression)) }}
{%- endmacro %}

{% macro default__unnest_array(array_expression) -%}
    unnest({{ array_expression }})
{%- endmacro %}

{% macro spark__unnest_array(array_expression) -%}
    explode({{ array_expression }})
{%- endmacro %}

{# An array literal of SQL expressions. #}
{% macro array_of(values) -%}
    {{ return(adapter.dispatch('array_of', 'customs')(values)) }}
{%- endmacro %}

{% macro default__array_of(values) -%}
    [{{ values | join(', ') }}]
{%- endmacro %}

{% macro spark__array_of(values) -%}
    array({{ values | join(', ') }})
{%- endmacro %}

{# Text split on a regular expression into an array of strings. #}
{% macro regexp_split(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_split', 'customs')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_split(text, pattern) -%}
    regexp_split_to_array({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_split(text, pattern) -%}
    split({{ text }}, {{ pattern }})
{%- endmacro %}
