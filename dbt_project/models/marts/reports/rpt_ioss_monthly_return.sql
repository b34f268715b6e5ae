with

valued_items as (
    select
        ioss_number,
        jurisdiction,
        import_tax_rate_pct,
        import_tax_base_jc,
        import_tax_jc,
        coalesce(order_date, declared_date) as supply_date,
        data_interval
    from {{ ref('fct_customs_valuation') }}
    where import_tax_collection = 'ioss'
        and jurisdiction_currency = 'EUR'
),

-- The return for month M is due by the end of M + 1 (Directive 2006/112/EC Art. 369ab): data
-- loaded by then is in it. Data loaded later is a correction to M in the next return filed
-- after it arrived (Art. 369ac), i.e. the return for the month before the data interval.
items_in_returns as (
    select
        *,
        {{ month_start('supply_date') }} as supply_period_start,
        case
            when data_interval < cast({{ dbt.dateadd(
                'month', 2, month_start('supply_date')
            ) }} as date)
                then {{ month_start('supply_date') }}
            else cast({{ dbt.dateadd(
                'month', -1, month_start('data_interval')
            ) }} as date)
        end as return_period_start
    from valued_items
),

final as (
    select
        ioss_number,
        {{ month_key('return_period_start') }} as return_period,
        jurisdiction as member_state_of_consumption,
        import_tax_rate_pct as vat_rate_pct,
        {{ month_key('supply_period_start') }} as supply_period,
        return_period_start != supply_period_start as is_correction,
        count(*) as item_count,
        cast(sum(import_tax_base_jc) as decimal(18, 2)) as taxable_amount_eur,
        cast(sum(import_tax_jc) as decimal(18, 2)) as vat_amount_eur
    from items_in_returns
    group by
        ioss_number,
        return_period_start,
        jurisdiction,
        import_tax_rate_pct,
        supply_period_start
)

select * from final
