{#
    ISO day of the week (Monday = 1 ... Sunday = 7): each engine spells it differently.
#}
{% macro iso_day_of_week(date_column) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'customs')(date_column)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_column) -%}
    extract(isodow from {{ date_column }})
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date_column) -%}
    isodow({{ date_column }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_column) -%}
    (weekday({{ date_column }}) + 1)
{%- endmacro %}

{#
    EU exchange-rate rule (Implementing Regulation (EU) 2015/2447 Art. 146): the rate published
    on the penultimate Wednesday of a month applies throughout the following month. This gives,
    for a valuation date, that Wednesday of the previous month; looking it up in
    int_fx_rates_carried_forward returns the rate published that day or, if none was, the latest
    earlier one. Last day of the previous month minus ((isodow + 4) mod 7) days is its last
    Wednesday (Wednesday = 3); one week earlier is the penultimate one.
#}
{% macro eu_fx_reference_date(date_column) -%}
    {%- set last_day_of_previous_month -%}
        cast({{ dbt.dateadd('day', -1, 'cast(' ~ dbt.date_trunc('month', date_column) ~ ' as date)') }} as date)
    {%- endset -%}
    cast(
        {{ dbt.dateadd(
            'day',
            '-((' ~ iso_day_of_week(last_day_of_previous_month) ~ ' + 4) % 7) - 7',
            last_day_of_previous_month
        ) }} as date
    )
{%- endmacro %}
