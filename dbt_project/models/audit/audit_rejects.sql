with

rejects as (
    select * from {{ ref('stg_audit__rejects') }}
),

final as (
    select * from rejects
)

select * from final
