with

declaration_items as (
    select * from {{ ref('stg_customs_feeds__declarations') }}
),

order_lines as (
    select
        marketplace,
        order_id,
        line_id,
        parcel_id,
        quantity,
        unit_price,
        discount,
        order_currency,
        load_id,
        source_row
    from {{ ref('stg_customs_feeds__orders') }}
),

-- A row delivered again in a later file counts once: keep the delivery of the latest load
-- (load_id starts with the feed and the data interval, so it sorts by interval).
declaration_items_ranked_by_delivery as (
    select
        *,
        row_number() over (
            partition by declaration_id, item_no
            order by load_id desc, source_row desc
        ) as delivery_rank
    from declaration_items
),

order_lines_ranked_by_delivery as (
    select
        *,
        row_number() over (
            partition by marketplace, order_id, line_id
            order by load_id desc, source_row desc
        ) as delivery_rank
    from order_lines
),

-- Declarants list a parcel's items in the order of the marketplace's lines: the n-th line of
-- the parcel (by line_id) is item n of the declaration of that parcel.
order_lines_numbered_in_parcel as (
    select
        marketplace,
        order_id,
        line_id,
        parcel_id,
        quantity,
        unit_price,
        discount,
        order_currency,
        load_id,
        row_number() over (
            partition by parcel_id
            order by line_id, marketplace, order_id
        ) as position_in_parcel
    from order_lines_ranked_by_delivery
    where delivery_rank = 1
        and parcel_id is not null
),

final as (
    select
        declaration_items.declaration_id,
        declaration_items.item_no,
        declaration_items.declared_at,
        declaration_items.declared_date,
        declaration_items.jurisdiction,
        declaration_items.declarant_id,
        declaration_items.importer_id,
        declaration_items.seller_id,
        declaration_items.parcel_id,
        declaration_items.ioss_number,
        declaration_items.procedure,
        declaration_items.hs_code,
        declaration_items.hs6,
        declaration_items.hs_chapter,
        declaration_items.description,
        declaration_items.origin_country,
        declaration_items.quantity,
        declaration_items.gross_mass_kg,
        declaration_items.declared_value,
        declaration_items.declared_currency,
        declaration_items.transport_cost,
        declaration_items.insurance_cost,
        declaration_items.source_file,
        declaration_items.source_row,
        declaration_items.load_id,
        order_lines.marketplace,
        order_lines.order_id as matched_order_id,
        order_lines.line_id as matched_line_id,
        order_lines.quantity as order_quantity,
        order_lines.unit_price as order_unit_price,
        order_lines.discount as order_discount,
        order_lines.order_currency,
        order_lines.load_id as order_load_id,
        order_lines.line_id is not null as has_order_match
    from declaration_items_ranked_by_delivery as declaration_items
    left join order_lines_numbered_in_parcel as order_lines
        on declaration_items.parcel_id = order_lines.parcel_id
            and declaration_items.item_no = order_lines.position_in_parcel
    where declaration_items.delivery_rank = 1
)

select * from final
