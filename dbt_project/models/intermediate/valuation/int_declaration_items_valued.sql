{# Incremental on DuckDB: the rebuilt days (macros/incremental_days.sql). #}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days() }}"
) }}

with

declaration_items as (
    select * from {{ ref('int_declaration_items_matched_to_order_lines') }}
    {% if is_incremental() %}
        where {{ in_rebuilt_days() }}
    {% endif %}
),

jurisdictions as (
    select
        jurisdiction,
        currency,
        is_eu,
        valuation_basis,
        default_freight_pct_of_fob,
        default_insurance_pct_of_fob,
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

warehouse_lots as (
    select
        declaration_id,
        position_in_declaration,
        lot_id,
        deductive_unit_value_eur
    from {{ ref('int_warehouse_lots_valued') }}
    where has_qualifying_sales
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

-- EU: the rate of the penultimate Wednesday of the previous month (Implementing Regulation
-- (EU) 2015/2447 Art. 146); elsewhere the ECB rate of the valuation date.
items_with_jurisdiction as (
    select
        items.*,
        jurisdictions.currency as jurisdiction_currency,
        coalesce(jurisdictions.is_eu, false) as is_eu,
        jurisdictions.valuation_basis,
        jurisdictions.default_freight_pct_of_fob,
        jurisdictions.default_insurance_pct_of_fob,
        case
            when jurisdictions.is_eu then {{ eu_fx_reference_date('items.declared_date') }}
            else items.declared_date
        end as fx_reference_date,
        case
            when jurisdictions.is_eu then 'eu_penultimate_wednesday_of_previous_month'
            else 'ecb_reference_rate_of_valuation_date'
        end as fx_rule
    from items_with_transaction_value as items
    left join jurisdictions
        on items.jurisdiction = jurisdictions.jurisdiction
            and items.declared_date >= jurisdictions.valid_from
            and (
                items.declared_date <= jurisdictions.valid_to
                or jurisdictions.valid_to is null
            )
),

-- The latest ECB rate on or before each reference date, per currency (on the distinct dates;
-- items then join these rates on equality).
reference_dates as (
    select distinct fx_reference_date from items_with_jurisdiction
),

rates_on_reference_dates as (
    {{ fx_rates_on_dates('reference_dates', 'fx_reference_date') }}
),

items_with_rates_per_eur as (
    select
        items.*,
        declared_rate.rate_per_eur as declared_currency_per_eur,
        transaction_rate.rate_per_eur as transaction_currency_per_eur,
        jurisdiction_rate.rate_per_eur as jurisdiction_currency_per_eur,
        jurisdiction_rate.rate_date as fx_rate_date
    from items_with_jurisdiction as items
    left join rates_on_reference_dates as declared_rate
        on items.fx_reference_date = declared_rate.fx_reference_date
            and items.declared_currency = declared_rate.currency
    left join rates_on_reference_dates as transaction_rate
        on items.fx_reference_date = transaction_rate.fx_reference_date
            and items.order_currency = transaction_rate.currency
    left join rates_on_reference_dates as jurisdiction_rate
        on items.fx_reference_date = jurisdiction_rate.fx_reference_date
            and items.jurisdiction_currency = jurisdiction_rate.currency
),

-- Cross rates through the euro: amount / rate(from) x rate(to).
items_converted as (
    select
        *,
        {{ cross_rate('declared_currency_per_eur', 'jurisdiction_currency_per_eur') }}
            as fx_rate_declared,
        {{ cross_rate('transaction_currency_per_eur', 'jurisdiction_currency_per_eur') }}
            as fx_rate_transaction,
        {{ cross_rate('1', 'jurisdiction_currency_per_eur') }} as fx_rate_eur
    from items_with_rates_per_eur
),

-- Warehouse entries (procedure WH) of a lot with qualifying sales take the deductive value.
items_with_lot as (
    select
        items.*,
        lots.lot_id,
        lots.deductive_unit_value_eur
    from items_converted as items
    left join warehouse_lots as lots
        on items.procedure = 'WH'
            and items.declaration_id = lots.declaration_id
            and items.item_no = lots.position_in_declaration
),

items_in_jurisdiction_currency as (
    select
        *,
        {{ money('declared_value * fx_rate_declared') }} as declared_value_jc,
        {{ money('transaction_value * fx_rate_transaction') }} as transaction_value_jc,
        {{ money('deductive_unit_value_eur * quantity * fx_rate_eur') }} as deductive_value_jc,
        -- Transport and insurance to the place of import: as declared, else as charged on
        -- the matched order line; null when unknown.
        coalesce(
            {{ money('transport_cost * fx_rate_declared') }},
            {{ money('order_shipping_fee * fx_rate_transaction') }}
        ) as known_transport_jc,
        coalesce(
            {{ money('insurance_cost * fx_rate_declared') }},
            {{ money('order_insurance_fee * fx_rate_transaction') }}
        ) as known_insurance_jc,
        case
            when transport_cost is not null then 'declared'
            when order_shipping_fee is not null then 'order_line'
        end as known_transport_source,
        case
            when insurance_cost is not null then 'declared'
            when order_insurance_fee is not null then 'order_line'
        end as known_insurance_source
    from items_with_lot
),

items_with_method as (
    select
        *,
        case
            when deductive_value_jc is not null then 'deductive'
            when match_rule = 'parcel_position' then 'transaction'
            when match_rule = 'seller_hs6_quantity_window' then 'fallback'
            else 'declared'
        end as valuation_method,
        case
            when deductive_value_jc is not null then deductive_value_jc
            when has_order_match then transaction_value_jc
            else declared_value_jc
        end as intrinsic_value_jc
    from items_in_jurisdiction_currency
),

-- Art. 8.2: additions in CIF jurisdictions only; India adds 20% / 1.125% of the FOB value
-- where freight / insurance are unknown (Customs Valuation Rules 2007 r. 10(2)). A deductive
-- value is already a value at the place of import: nothing is added to it.
items_with_additions as (
    select
        *,
        case
            when valuation_basis != 'CIF' or valuation_method = 'deductive' then 'not_added'
            when known_transport_jc is not null then known_transport_source
            when default_freight_pct_of_fob is not null then 'default_pct_of_fob'
            else 'unknown'
        end as transport_addition_source,
        case
            when valuation_basis != 'CIF' or valuation_method = 'deductive' then 'not_added'
            when known_insurance_jc is not null then known_insurance_source
            when default_insurance_pct_of_fob is not null then 'default_pct_of_fob'
            else 'unknown'
        end as insurance_addition_source
    from items_with_method
),

items_valued as (
    select
        *,
        case transport_addition_source
            when 'declared' then known_transport_jc
            when 'order_line' then known_transport_jc
            when 'default_pct_of_fob'
                then {{ money(divide('intrinsic_value_jc * default_freight_pct_of_fob', '100')) }}
            else cast(0 as decimal(18, 2))
        end as transport_addition_jc,
        case insurance_addition_source
            when 'declared' then known_insurance_jc
            when 'order_line' then known_insurance_jc
            when 'default_pct_of_fob'
                then {{ money(divide('intrinsic_value_jc * default_insurance_pct_of_fob', '100')) }}
            else cast(0 as decimal(18, 2))
        end as insurance_addition_jc
    from items_with_additions
),

final as (
    select
        *,
        {{ money('transport_addition_jc + insurance_addition_jc') }} as additions_jc,
        {{ money('intrinsic_value_jc + transport_addition_jc + insurance_addition_jc') }}
            as customs_value,
        {{ money('intrinsic_value_jc - declared_value_jc') }} as value_gap
    from items_valued
)

select * from final
