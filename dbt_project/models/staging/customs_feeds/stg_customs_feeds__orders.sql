with

source as (
    select * from {{ source('customs_feeds', 'orders') }}
),

final as (
    select
        marketplace,
        order_id,
        line_id,
        ordered_at,
        {{ utc_date('ordered_at') }} as ordered_date,
        seller_id,
        seller_country,
        buyer_id,
        buyer_country,
        ship_from_country,
        warehouse_id,
        parcel_id,
        sku,
        title,
        hs_code,
        substring(hs_code, 1, 6) as hs6,
        substring(hs_code, 1, 2) as hs_chapter,
        origin_country,
        quantity,
        unit_price,
        currency as order_currency,
        discount,
        shipping_fee,
        insurance_fee,
        ioss_number,
        source_file,
        source_row,
        load_id
    from source
)

select * from final
