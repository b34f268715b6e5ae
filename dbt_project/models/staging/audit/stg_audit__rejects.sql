with

source as (
    select * from {{ source('audit', 'rejects') }}
),

final as (
    select
        load_id,
        feed,
        source_file,
        cast(source_row as bigint) as source_row,
        reason,
        raw
    from source
)

select * from final
