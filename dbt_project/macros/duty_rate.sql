{#
    The ad valorem duty rate (percent) of the duty_rates seed for an item: the row of the item's
    jurisdiction (or `EU` for member states) in force on the date whose hs_prefix is the longest
    prefix of the HS code (an empty prefix is the jurisdiction's default). Returns a select over
    `relation` adding `duty_rate_pct`; `key_columns` identify a row of `relation`.
#}
{% macro select_with_duty_rate(relation, key_columns, jurisdiction, is_eu, hs_code, on_date) -%}
    select *
    from (
        select
            items.*,
            duty_rates.duty_rate_pct,
            row_number() over (
                partition by {% for key in key_columns %}items.{{ key }}{% if not loop.last %}, {% endif %}{% endfor %}
                order by length(coalesce(duty_rates.hs_prefix, '')) desc
            ) as duty_rate_rank
        from {{ relation }} as items
        left join {{ ref('duty_rates') }} as duty_rates
            on duty_rates.jurisdiction
            = case when items.{{ is_eu }} then 'EU' else items.{{ jurisdiction }} end
                and items.{{ on_date }} >= duty_rates.valid_from
                and (items.{{ on_date }} <= duty_rates.valid_to or duty_rates.valid_to is null)
                and (
                    duty_rates.hs_prefix is null
                    or substring(items.{{ hs_code }}, 1, length(duty_rates.hs_prefix))
                    = duty_rates.hs_prefix
                )
    ) as ranked
    where duty_rate_rank = 1
{%- endmacro %}
