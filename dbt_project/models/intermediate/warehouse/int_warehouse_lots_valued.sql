with

receipts as (
    select * from {{ ref('stg_customs_feeds__warehouse_receipts') }}
),

allocations as (
    select * from {{ ref('int_warehouse_dispatches_allocated_to_lots') }}
),

jurisdictions as (
    select * from {{ ref('jurisdictions') }}
),

fx_rates as (
    select * from {{ ref('int_fx_rates_carried_forward') }}
),

lots as (
    select
        receipts.*,
        coalesce(jurisdictions.is_eu, false) as is_eu,
        cast(
            {{ dbt.dateadd('day', var('deductive_sales_window_days'), 'receipts.received_date') }}
            as date
        ) as sales_window_end_date,
        row_number() over (
            partition by receipts.declaration_id order by receipts.lot_id
        ) as position_in_declaration
    from ({{ latest_deliveries('receipts', ['lot_id']) }}) as receipts
    left join jurisdictions
        on receipts.warehouse_country = jurisdictions.jurisdiction
            and receipts.received_date >= jurisdictions.valid_from
            and (
                receipts.received_date <= jurisdictions.valid_to
                or jurisdictions.valid_to is null
            )
),

-- Resale prices in EUR at the ECB rate of the sale date (latest publication on or before;
-- macros/fx_rule_dates.sql: a range join of every sale took most of the model's time).
sale_dates as (
    select distinct sale_date from allocations
),

rates_on_sale_dates as (
    {{ fx_rates_on_dates('sale_dates', 'sale_date') }}
),

sales_in_eur as (
    select
        allocations.*,
        {{ money(divide('allocations.sale_unit_price', 'rates.rate_per_eur')) }}
            as sale_unit_price_eur
    from allocations
    left join rates_on_sale_dates as rates
        on allocations.sale_currency = rates.currency
            and allocations.sale_date = rates.sale_date
),

sales_flagged as (
    select
        sales_in_eur.*,
        sales_in_eur.sale_date >= lots.received_date
        and sales_in_eur.sale_date <= lots.sales_window_end_date as is_within_window
    from sales_in_eur
    inner join lots
        on sales_in_eur.lot_id = lots.lot_id
),

-- Art. 5(1): the unit price at which the greatest aggregate quantity is sold (ties: the lower).
quantity_by_unit_price as (
    select
        lot_id,
        sale_unit_price_eur,
        sum(allocated_quantity) as quantity_at_price,
        row_number() over (
            partition by lot_id
            order by sum(allocated_quantity) desc, sale_unit_price_eur asc
        ) as price_rank
    from sales_flagged
    where is_within_window and sale_unit_price_eur is not null
    group by lot_id, sale_unit_price_eur
),

sales_summary as (
    select
        lot_id,
        sum(allocated_quantity) as dispatched_quantity,
        sum(case when is_within_window then allocated_quantity else 0 end)
            as qualifying_quantity,
        sum(case when is_within_window then 1 else 0 end) as qualifying_sales,
        sum(case when allocation = 'fifo' then allocated_quantity else 0 end) as fifo_quantity
    from sales_flagged
    group by lot_id
),

lots_with_duty_rate as (
    {{ select_with_duty_rate(
        'lots', ['lot_id'], 'warehouse_country', 'is_eu', 'hs_code', 'received_date'
    ) }}
),

lots_declared_in_eur as (
    select
        lots.*,
        cast(
            {{ round_half_away(divide('lots.declared_unit_value', 'fx_rates.rate_per_eur'), 4) }}
            as decimal(18, 4)
        ) as declared_unit_value_eur
    from lots_with_duty_rate as lots
    left join fx_rates
        on lots.currency = fx_rates.currency
            and lots.received_date >= fx_rates.valid_from
            and lots.received_date < coalesce(fx_rates.valid_to, cast('9999-12-31' as date))
),

valued as (
    select
        lots.*,
        coalesce(sales_summary.dispatched_quantity, 0) as dispatched_quantity,
        coalesce(sales_summary.qualifying_quantity, 0) as qualifying_quantity,
        coalesce(sales_summary.qualifying_sales, 0) as qualifying_sales,
        coalesce(sales_summary.fifo_quantity, 0) as fifo_quantity,
        prices.sale_unit_price_eur as greatest_quantity_unit_price_eur,
        prices.quantity_at_price as greatest_quantity_at_price,
        cast(
            {{ round_half_away(divide(
                'prices.sale_unit_price_eur * (1 - '
                ~ divide(var('deductive_profit_and_general_expenses_pct'), '100.0')
                ~ ' - ' ~ divide(var('deductive_inland_transport_pct'), '100.0') ~ ')',
                '(1 + ' ~ divide('coalesce(lots.duty_rate_pct, 0)', '100.0') ~ ')'
            ), 4) }} as decimal(18, 4)
        ) as deductive_unit_value_eur
    from lots_declared_in_eur as lots
    left join sales_summary
        on lots.lot_id = sales_summary.lot_id
    left join quantity_by_unit_price as prices
        on lots.lot_id = prices.lot_id
            and prices.price_rank = 1
),

final as (
    select
        *,
        deductive_unit_value_eur is not null as has_qualifying_sales,
        cast(
            {{ round_half_away(
                divide('declared_unit_value_eur', 'nullif(deductive_unit_value_eur, 0)'), 4
            ) }} as decimal(18, 4)
        ) as declared_to_deductive_ratio,
        coalesce(
            declared_unit_value_eur
            < {{ var('lot_undervaluation_ratio') }} * deductive_unit_value_eur,
            false
        ) as is_flagged_undervalued
    from valued
)

select * from final
