with

receipts as (
    select * from {{ ref('stg_customs_feeds__warehouse_receipts') }}
),

dispatches as (
    select * from {{ ref('stg_customs_feeds__warehouse_dispatches') }}
),

-- Only the order lines that dispatches name (every delivery of each, so that the latest one
-- still wins): ranking every order line of the history cost most of the model.
dispatched_order_lines as (
    select distinct
        order_id,
        line_id
    from dispatches
),

order_lines as (
    select * from {{ ref('stg_customs_feeds__orders') }}
),

-- Latest delivery of each lot, dispatch and order line (macros/latest_deliveries.sql).
lots as (
    {{ latest_deliveries('receipts', ['lot_id']) }}
),

latest_dispatches as (
    {{ latest_deliveries('dispatches', ['dispatch_id']) }}
),

latest_order_lines as (
    {{ latest_deliveries('order_lines', ['order_id', 'line_id'], 'dispatched_order_lines') }}
),

dispatches_with_lot as (
    select
        dispatch_id,
        lot_id,
        quantity,
        'given' as allocation
    from latest_dispatches
    where lot_id is not null
),

-- First in, first out for dispatches without a lot: the stock a lot has left after the
-- dispatches that name it, stacked per warehouse and SKU in order of receipt, is consumed by
-- the unnamed dispatches in order of dispatch. A dispatch may span two lots.
lot_stock_left as (
    select
        lots.warehouse_id,
        lots.sku,
        lots.lot_id,
        lots.received_at,
        lots.quantity - coalesce(sum(given.quantity), 0) as stock_left
    from lots
    left join dispatches_with_lot as given
        on lots.lot_id = given.lot_id
    group by lots.warehouse_id, lots.sku, lots.lot_id, lots.received_at, lots.quantity
),

lot_stock_ranges as (
    select
        *,
        sum(stock_left) over (
            partition by warehouse_id, sku
            order by received_at, lot_id
            rows between unbounded preceding and current row
        ) as stock_to
    from lot_stock_left
),

unnamed_dispatch_ranges as (
    select
        warehouse_id,
        sku,
        dispatch_id,
        quantity,
        sum(quantity) over (
            partition by warehouse_id, sku
            order by dispatched_at, dispatch_id
            rows between unbounded preceding and current row
        ) as taken_to
    from latest_dispatches
    where lot_id is null
),

dispatches_allocated_fifo as (
    select
        dispatch_ranges.dispatch_id,
        stock.lot_id,
        least(dispatch_ranges.taken_to, stock.stock_to)
        - greatest(
            dispatch_ranges.taken_to - dispatch_ranges.quantity,
            stock.stock_to - stock.stock_left
        ) as quantity,
        'fifo' as allocation
    from unnamed_dispatch_ranges as dispatch_ranges
    inner join lot_stock_ranges as stock
        on dispatch_ranges.warehouse_id = stock.warehouse_id
            and dispatch_ranges.sku = stock.sku
            and dispatch_ranges.taken_to - dispatch_ranges.quantity < stock.stock_to
            and dispatch_ranges.taken_to > stock.stock_to - stock.stock_left
),

allocations as (
    select * from dispatches_with_lot
    union all
    select * from dispatches_allocated_fifo
),

final as (
    select
        allocations.lot_id,
        allocations.dispatch_id,
        allocations.allocation,
        allocations.quantity as allocated_quantity,
        latest_dispatches.dispatched_date,
        latest_dispatches.order_id,
        latest_dispatches.line_id,
        latest_order_lines.ordered_date as sale_date,
        latest_order_lines.order_currency as sale_currency,
        {{ double_to_decimal(
            divide(
                '(latest_order_lines.quantity * latest_order_lines.unit_price'
                ~ ' - coalesce(latest_order_lines.discount, 0))',
                'latest_order_lines.quantity'
            ),
            18, 4
        ) }} as sale_unit_price
    from allocations
    inner join latest_dispatches
        on allocations.dispatch_id = latest_dispatches.dispatch_id
    left join latest_order_lines
        on latest_dispatches.order_id = latest_order_lines.order_id
            and latest_dispatches.line_id = latest_order_lines.line_id
)

select * from final
