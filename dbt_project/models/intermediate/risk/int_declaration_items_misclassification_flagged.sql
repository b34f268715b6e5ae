{#
    Misclassification: the declared heading against the heading the seller listed the same
    product under on the marketplace (the matched order line's HS code): another chapter whose
    duty rate is at least var('misclassification_min_duty_gap_pct') points higher.
#}
with

valued_items as (
    select
        declaration_id,
        item_no,
        jurisdiction,
        declared_date,
        hs_chapter,
        matched_order_id,
        matched_line_id,
        duty_rate_pct,
        import_tax_rate_pct,
        intrinsic_value_jc / fx_rate_eur as intrinsic_value_eur
    from {{ ref('fct_customs_valuation') }}
    where has_order_match
),

order_lines as (
    select distinct
        order_id,
        line_id,
        hs_code as listing_hs_code
    from {{ ref('stg_customs_feeds__orders') }}
    where hs_code is not null
),

jurisdictions as (
    select distinct
        jurisdiction,
        is_eu
    from {{ ref('jurisdictions') }}
),

listed_items as (
    select
        valued_items.*,
        order_lines.listing_hs_code,
        substring(order_lines.listing_hs_code, 1, 2) as listing_hs_chapter,
        coalesce(jurisdictions.is_eu, false) as is_eu
    from valued_items
    inner join order_lines
        on
            valued_items.matched_order_id = order_lines.order_id
            and valued_items.matched_line_id = order_lines.line_id
    left join jurisdictions
        on valued_items.jurisdiction = jurisdictions.jurisdiction
),

listing_duty as (
    {{ select_with_duty_rate(
        'listed_items',
        ['declaration_id', 'item_no'],
        'jurisdiction',
        'is_eu',
        'listing_hs_code',
        'declared_date'
    ) | replace('duty_rates.duty_rate_pct', 'duty_rates.duty_rate_pct as listing_duty_rate_pct') }}
),

final as (
    select
        declaration_id,
        item_no,
        listing_hs_code,
        listing_duty_rate_pct,
        cast(
            listing_duty_rate_pct - coalesce(duty_rate_pct, 0) as decimal(6, 2)
        ) as duty_rate_gap_pct,
        coalesce(
            listing_hs_chapter != hs_chapter
            and listing_duty_rate_pct - coalesce(duty_rate_pct, 0)
            >= {{ var('misclassification_min_duty_gap_pct') }},
            false
        ) as is_misclassified,
        cast(greatest(
            0, listing_duty_rate_pct - coalesce(duty_rate_pct, 0)
        ) / 100 * intrinsic_value_eur * (
            1 + coalesce(import_tax_rate_pct, 0) / 100
        ) as decimal(18, 2)) as misclassification_revenue_eur
    from listing_duty
)

select * from final
