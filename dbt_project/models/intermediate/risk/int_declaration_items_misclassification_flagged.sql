{#
    Misclassification, two checks on the declared heading:
    - listing: the heading the seller listed the same product under on the marketplace (the
      matched order line's HS code, chosen without a duty at stake) is in another chapter;
    - description: the words of the goods description point (seed hs_description_keywords) to
      one chapter, another than the declared one.
    Either fires when the other chapter's duty rate is at least
    var('misclassification_min_duty_gap_pct') points higher than the declared one.
#}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days() }}"
) }}

with

-- A daily build (macros/incremental_days.sql) checks the items of the rebuilt days.
valued_items as (
    select
        declaration_id,
        item_no,
        data_interval,
        procedure,
        jurisdiction,
        declared_date,
        hs_chapter,
        description,
        matched_order_id,
        matched_line_id,
        duty_rate_pct,
        import_tax_rate_pct,
        intrinsic_value_jc / fx_rate_eur as intrinsic_value_eur
    from {{ ref('fct_customs_valuation') }}
    {% if is_incremental() %}
        where {{ in_rebuilt_days() }}
    {% endif %}
),

order_lines as (
    select distinct
        order_id,
        line_id,
        hs_code as listing_hs_code
    from {{ ref('stg_customs_feeds__orders') }}
    where hs_code is not null
        {% if is_incremental() %}
            and order_id in (select rebuilt.matched_order_id from valued_items as rebuilt)
        {% endif %}
),

keywords as (
    select
        keyword,
        hs_chapter as keyword_hs_chapter
    from {{ ref('hs_description_keywords') }}
),

-- Membership on the declaration date (GB left the EU): one row per item.
jurisdictions as (
    select
        jurisdiction,
        is_eu,
        valid_from,
        valid_to
    from {{ ref('jurisdictions') }}
),

description_words as (
    select
        declaration_id,
        item_no,
        unnest(
            regexp_split_to_array(lower(coalesce(description, '')), '[^a-z0-9-]+')
        ) as word
    from valued_items
),

description_chapters as (
    select
        words.declaration_id,
        words.item_no,
        min(keywords.keyword_hs_chapter) as description_hs_chapter
    from description_words as words
    inner join keywords
        on words.word = keywords.keyword
    group by words.declaration_id, words.item_no
    having count(distinct keywords.keyword_hs_chapter) = 1
),

items as (
    select
        valued_items.*,
        order_lines.listing_hs_code,
        description_chapters.description_hs_chapter,
        coalesce(jurisdictions.is_eu, false) as is_eu
    from valued_items
    left join order_lines
        on
            valued_items.matched_order_id = order_lines.order_id
            and valued_items.matched_line_id = order_lines.line_id
    left join description_chapters
        on
            valued_items.declaration_id = description_chapters.declaration_id
            and valued_items.item_no = description_chapters.item_no
    left join jurisdictions
        on
            valued_items.jurisdiction = jurisdictions.jurisdiction
            and valued_items.declared_date >= jurisdictions.valid_from
            and (
                valued_items.declared_date <= jurisdictions.valid_to
                or jurisdictions.valid_to is null
            )
),

listing_duty as (
    {{ select_with_duty_rate(
        'items',
        ['declaration_id', 'item_no'],
        'jurisdiction',
        'is_eu',
        'listing_hs_code',
        'declared_date',
        output_column='listing_duty_rate_pct'
    ) }}
),

description_duty as (
    {{ select_with_duty_rate(
        'listing_duty',
        ['declaration_id', 'item_no'],
        'jurisdiction',
        'is_eu',
        'description_hs_chapter',
        'declared_date',
        output_column='description_duty_rate_pct'
    ) }}
),

gaps as (
    select
        *,
        case
            when listing_hs_code is not null
                then listing_duty_rate_pct - coalesce(duty_rate_pct, 0)
        end as listing_gap,
        case
            when description_hs_chapter is not null
                then description_duty_rate_pct - coalesce(duty_rate_pct, 0)
        end as description_gap
    from description_duty
),

final as (
    select
        declaration_id,
        item_no,
        data_interval,
        procedure,
        declared_date,
        listing_hs_code,
        cast(
            case when listing_hs_code is not null then listing_duty_rate_pct end
            as decimal(6, 2)
        ) as listing_duty_rate_pct,
        cast(listing_gap as decimal(6, 2)) as duty_rate_gap_pct,
        coalesce(
            substring(listing_hs_code, 1, 2) != hs_chapter
            and listing_gap >= {{ var('misclassification_min_duty_gap_pct') }},
            false
        ) as is_listing_mismatch,
        description_hs_chapter,
        cast(description_gap as decimal(6, 2)) as description_duty_gap_pct,
        coalesce(
            description_hs_chapter != hs_chapter
            and description_gap >= {{ var('misclassification_min_duty_gap_pct') }},
            false
        ) as is_description_mismatch,
        coalesce(
            substring(listing_hs_code, 1, 2) != hs_chapter
            and listing_gap >= {{ var('misclassification_min_duty_gap_pct') }},
            false
        ) or coalesce(
            description_hs_chapter != hs_chapter
            and description_gap >= {{ var('misclassification_min_duty_gap_pct') }},
            false
        ) as is_misclassified,
        cast(greatest(
            0,
            case
                when substring(listing_hs_code, 1, 2) != hs_chapter then listing_gap
            end,
            case
                when description_hs_chapter != hs_chapter then description_gap
            end
        ) / 100 * intrinsic_value_eur * (
            1 + coalesce(import_tax_rate_pct, 0) / 100
        ) as decimal(18, 2)) as misclassification_revenue_eur
    from gaps
)

select * from final
