{#
    The ad valorem duty rate (percent) of the duty_rates seed for an item: the row of the item's
    jurisdiction (or `EU` for member states) in force on the date whose hs_prefix is the longest
    prefix of the HS code (an empty prefix is the jurisdiction's default). Returns a select over
    `relation` adding `output_column`; `key_columns` identify a row of `relation` (kept for the
    callers; the lookup no longer needs them).
    The range and prefix join and the ranking run on the distinct (jurisdiction, HS code, date)
    keys, a few per cent of the rows; items then join the chosen rate on equality. Ranking the
    wide item rows themselves cost most of a 1M-item build.
#}
{% macro select_with_duty_rate(
    relation, key_columns, jurisdiction, is_eu, hs_code, on_date, output_column='duty_rate_pct'
) -%}
    {%- set jurisdiction_key -%}
        case when items.{{ is_eu }} then 'EU' else items.{{ jurisdiction }} end
    {%- endset -%}
    select
        items.*,
        rates.duty_rate_pct as {{ output_column }}
    from {{ relation }} as items
    left join (
        select
            jurisdiction_key,
            hs_code,
            on_date,
            duty_rate_pct
        from (
            select
                rate_keys.jurisdiction_key,
                rate_keys.hs_code,
                rate_keys.on_date,
                duty_rates.duty_rate_pct,
                row_number() over (
                    partition by rate_keys.jurisdiction_key, rate_keys.hs_code, rate_keys.on_date
                    order by length(coalesce(duty_rates.hs_prefix, '')) desc
                ) as duty_rate_rank
            from (
                select distinct
                    {{ jurisdiction_key }} as jurisdiction_key,
                    items.{{ hs_code }} as hs_code,
                    items.{{ on_date }} as on_date
                from {{ relation }} as items
            ) as rate_keys
            left join {{ ref('duty_rates') }} as duty_rates
                on duty_rates.jurisdiction = rate_keys.jurisdiction_key
                    and rate_keys.on_date >= duty_rates.valid_from
                    and (rate_keys.on_date <= duty_rates.valid_to or duty_rates.valid_to is null)
                    and (
                        duty_rates.hs_prefix is null
                        or substring(rate_keys.hs_code, 1, length(duty_rates.hs_prefix))
                        = duty_rates.hs_prefix
                    )
        ) as ranked
        where duty_rate_rank = 1
    ) as rates
        on {{ jurisdiction_key }} is not distinct from rates.jurisdiction_key
            and items.{{ hs_code }} is not distinct from rates.hs_code
            and items.{{ on_date }} is not distinct from rates.on_date
{%- endmacro %}
