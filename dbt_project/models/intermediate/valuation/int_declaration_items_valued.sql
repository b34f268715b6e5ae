with

declaration_items as (
    select * from {{ ref('int_declaration_items_matched_to_order_lines') }}
),

jurisdictions as (
    select
        jurisdiction,
        currency,
        valid_from,
        valid_to
    from {{ ref('jurisdictions') }}
),

fx_rates as (
    select
        currency,
        rate_date,
        rate_per_eur,
        valid_from,
        valid_to
    from {{ ref('int_fx_rates_carried_forward') }}
),

-- WTO Valuation Agreement Art. 1: the price actually paid or payable for the goods.
items_with_transaction_value as (
    select
        *,
        cast(
            case
                when has_order_match
                    then order_quantity * order_unit_price - coalesce(order_discount, 0)
            end as decimal(18, 4)
        ) as transaction_value
    from declaration_items
),

items_with_jurisdiction_currency as (
    select
        items.*,
        jurisdictions.currency as jurisdiction_currency
    from items_with_transaction_value as items
    left join jurisdictions
        on items.jurisdiction = jurisdictions.jurisdiction
            and items.declared_date >= jurisdictions.valid_from
            and (
                items.declared_date <= jurisdictions.valid_to
                or jurisdictions.valid_to is null
            )
),

-- The latest ECB rate on or before each valuation date, per currency. The range join runs on
-- the few distinct dates; items then join these rates on equality.
valuation_dates as (
    select distinct declared_date from declaration_items
),

rates_on_valuation_dates as (
    select
        valuation_dates.declared_date,
        fx_rates.currency,
        fx_rates.rate_date,
        fx_rates.rate_per_eur
    from valuation_dates
    inner join fx_rates
        on valuation_dates.declared_date >= fx_rates.valid_from
            and valuation_dates.declared_date
            < coalesce(fx_rates.valid_to, cast('9999-12-31' as date))
),

items_with_rates_per_eur as (
    select
        items.*,
        declared_rate.rate_per_eur as declared_currency_per_eur,
        transaction_rate.rate_per_eur as transaction_currency_per_eur,
        jurisdiction_rate.rate_per_eur as jurisdiction_currency_per_eur,
        jurisdiction_rate.rate_date as fx_rate_date
    from items_with_jurisdiction_currency as items
    left join rates_on_valuation_dates as declared_rate
        on items.declared_date = declared_rate.declared_date
            and items.declared_currency = declared_rate.currency
    left join rates_on_valuation_dates as transaction_rate
        on items.declared_date = transaction_rate.declared_date
            and items.order_currency = transaction_rate.currency
    left join rates_on_valuation_dates as jurisdiction_rate
        on items.declared_date = jurisdiction_rate.declared_date
            and items.jurisdiction_currency = jurisdiction_rate.currency
),

-- Cross rates through the euro: amount / rate(from) x rate(to).
items_converted as (
    select
        *,
        {{ cross_rate('declared_currency_per_eur', 'jurisdiction_currency_per_eur') }}
            as fx_rate_declared,
        {{ cross_rate('transaction_currency_per_eur', 'jurisdiction_currency_per_eur') }}
            as fx_rate_transaction
    from items_with_rates_per_eur
),

items_in_jurisdiction_currency as (
    select
        *,
        {{ money('declared_value * fx_rate_declared') }} as declared_value_jc,
        {{ money('transaction_value * fx_rate_transaction') }} as transaction_value_jc
    from items_converted
),

-- Transaction value where the marketplace sale is known; otherwise the declared value stands
-- in for now (deductive value for warehouse lots and fallback methods come later).
items_valued as (
    select
        *,
        'ecb_reference_rate_of_valuation_date' as fx_rule,
        case when has_order_match then 'transaction' else 'declared' end as valuation_method,
        case
            when has_order_match then transaction_value_jc else declared_value_jc
        end as customs_value
    from items_in_jurisdiction_currency
),

final as (
    select
        *,
        {{ money('customs_value - declared_value_jc') }} as value_gap
    from items_valued
)

select * from final
