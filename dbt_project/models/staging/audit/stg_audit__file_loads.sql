with

source as (
    select * from {{ source('audit', 'file_loads') }}
),

final as (
    select
        load_id,
        feed,
        source_file,
        sha256,
        cast(data_interval as date) as data_interval,
        cast(rows_read as bigint) as rows_read,
        cast(rows_standardized as bigint) as rows_standardized,
        cast(rows_rejected as bigint) as rows_rejected,
        loaded_at,
        status,
        message
    from source
)

select * from final
