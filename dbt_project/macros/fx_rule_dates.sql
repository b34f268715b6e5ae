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

{#
    The ECB rate of each currency in force on each date of `dates` (a relation with a
    `date_column`): the latest publication on or before it (int_fx_rates_carried_forward's
    validity periods in `fx_rates`). The range join runs on the few distinct dates; the rows
    that need a rate then join these on equality (currency, date), which is far cheaper than a
    range join of every row against every rate of its currency.
#}
{% macro fx_rates_on_dates(dates, date_column, fx_rates='fx_rates') -%}
    select
        {{ dates }}.{{ date_column }},
        {{ fx_rates }}.currency,
        {{ fx_rates }}.rate_date,
        {{ fx_rates }}.rate_per_eur
    from {{ dates }}
    inner join {{ fx_rates }}
        on {{ dates }}.{{ date_column }} >= {{ fx_rates }}.valid_from
            and {{ dates }}.{{ date_column }}
            < coalesce({{ fx_rates }}.valid_to, cast('9999-12-31' as date))
{%- endmacro %}
