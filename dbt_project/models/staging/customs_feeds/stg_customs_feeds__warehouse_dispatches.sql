with

source as (
    select * from {{ source('customs_feeds', 'warehouse_dispatches') }}
),

final as (
    select
        warehouse_id,
        dispatch_id,
        dispatched_at,
        {{ utc_date('dispatched_at') }} as dispatched_date,
        order_id,
        line_id,
        sku,
        lot_id,
        quantity,
        source_file,
        source_row,
        load_id
    from source
)

select * from final
