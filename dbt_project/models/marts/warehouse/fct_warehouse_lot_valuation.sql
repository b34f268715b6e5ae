with

lots as (
    select * from {{ ref('int_warehouse_lots_valued') }}
),

final as (
    select
        lot_id,
        warehouse_id,
        warehouse_country,
        receipt_id,
        declaration_id,
        seller_id,
        sku,
        hs_code,
        hs6,
        hs_chapter,
        origin_country,
        received_at,
        received_date,
        sales_window_end_date,
        cast(quantity as bigint) as quantity,
        declared_unit_value,
        currency as declared_currency,
        declared_unit_value_eur,
        cast(dispatched_quantity as bigint) as dispatched_quantity,
        cast(fifo_quantity as bigint) as fifo_quantity,
        cast(qualifying_quantity as bigint) as qualifying_quantity,
        cast(qualifying_sales as bigint) as qualifying_sales,
        greatest_quantity_unit_price_eur,
        cast(greatest_quantity_at_price as bigint) as greatest_quantity_at_price,
        duty_rate_pct,
        deductive_unit_value_eur,
        has_qualifying_sales,
        declared_to_deductive_ratio,
        is_flagged_undervalued,
        source_file,
        source_row,
        load_id
    from lots
)

select * from final
