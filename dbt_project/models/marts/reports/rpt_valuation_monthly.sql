with

valued_items as (
    select * from {{ ref('fct_customs_valuation') }}
),

hs_chapters as (
    select * from {{ ref('hs_chapters') }}
),

monthly as (
    select
        jurisdiction,
        {{ month_key('declared_date') }} as declared_month,
        hs_chapter,
        origin_country,
        jurisdiction_currency,
        count(distinct declaration_id) as declaration_count,
        count(*) as item_count,
        cast(
            sum(case when value_gap > 0 then 1 else 0 end) as bigint
        ) as items_declared_below_value,
        cast(sum(declared_value_jc) as decimal(18, 2)) as declared_value_jc,
        cast(sum(customs_value) as decimal(18, 2)) as customs_value_jc,
        cast(sum(value_gap) as decimal(18, 2)) as value_gap_jc,
        cast(sum(duty_jc + flat_duty_jc) as decimal(18, 2)) as duty_jc,
        cast(sum(import_tax_jc) as decimal(18, 2)) as import_tax_jc,
        cast(sum(revenue_at_risk_jc) as decimal(18, 2)) as revenue_at_risk_jc
    from valued_items
    group by
        jurisdiction,
        {{ month_key('declared_date') }},
        hs_chapter,
        origin_country,
        jurisdiction_currency
),

final as (
    select
        monthly.jurisdiction,
        monthly.declared_month,
        monthly.hs_chapter,
        hs_chapters.description as hs_chapter_description,
        monthly.origin_country,
        monthly.jurisdiction_currency,
        monthly.declaration_count,
        monthly.item_count,
        monthly.items_declared_below_value,
        monthly.declared_value_jc,
        monthly.customs_value_jc,
        monthly.value_gap_jc,
        monthly.duty_jc,
        monthly.import_tax_jc,
        monthly.revenue_at_risk_jc
    from monthly
    left join hs_chapters
        on monthly.hs_chapter = hs_chapters.hs_chapter
)

select * from final
