with

source as (
    select * from {{ source('customs_feeds', 'warehouse_receipts') }}
),

final as (
    select
        warehouse_id,
        warehouse_country,
        receipt_id,
        lot_id,
        received_at,
        {{ utc_date('received_at') }} as received_date,
        seller_id,
        sku,
        hs_code,
        substring(hs_code, 1, 6) as hs6,
        substring(hs_code, 1, 2) as hs_chapter,
        origin_country,
        quantity,
        declared_unit_value,
        currency,
        declaration_id,
        source_file,
        source_row,
        load_id
    from source
)

select * from final
