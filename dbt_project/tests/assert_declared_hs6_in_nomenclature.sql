{{ config(severity='warn') }}

-- Declared HS6 subheadings that do not exist in the nomenclature, when one is configured
-- (var hs_nomenclature_path); nothing to check otherwise.
with

valued_items as (
    select * from {{ ref('fct_customs_valuation') }}
),

nomenclature as (
    select * from {{ ref('stg_reference__hs_subheadings') }}
),

final as (
    select
        valued_items.hs6,
        count(*) as item_count
    from valued_items
    left join nomenclature
        on valued_items.hs6 = nomenclature.hs6
    where nomenclature.hs6 is null
        and exists (select 1 from {{ ref('stg_reference__hs_subheadings') }})
    group by valued_items.hs6
)

select * from final
