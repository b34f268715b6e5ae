with

source as (
    select * from {{ source('reference', 'fx_rates') }}
),

final as (
    select
        rate_date,
        currency,
        rate_per_eur
    from source
)

select * from final
