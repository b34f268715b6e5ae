{# Incremental on DuckDB: the rebuilt days (macros/incremental_days.sql). #}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuilt_days(consignments_of='int_declaration_items_valued') }}"
) }}

with

valued_items as (
    select * from {{ ref('int_declaration_items_valued') }}
    {% if is_incremental() %}
        where
            {{ in_rebuilt_days() }}
            or {{ in_rebuilt_consignments('int_declaration_items_valued') }}
    {% endif %}
),

import_regimes as (
    select * from {{ ref('import_regimes') }}
),

vat_rates as (
    select * from {{ ref('stg_reference__vat_rates') }}
),

-- Thresholds apply to the consignment (the parcel; a declaration without a parcel is its own
-- consignment) and its intrinsic value: the goods without transport and insurance. Sums and
-- positions are computed on narrow rows and joined back by key (windows over the wide item
-- rows cost most of this model at 1M items).
item_consignments as (
    select
        declaration_id,
        item_no,
        coalesce(parcel_id, declaration_id) as consignment_id,
        hs6,
        intrinsic_value_jc
    from valued_items
),

consignment_values as (
    select
        consignment_id,
        cast(sum(intrinsic_value_jc) as decimal(18, 2)) as consignment_intrinsic_value_jc
    from item_consignments
    group by consignment_id
),

item_positions as (
    select
        declaration_id,
        item_no,
        consignment_id,
        row_number() over (
            partition by consignment_id, hs6
            order by declaration_id, item_no
        ) as position_in_consignment_hs6
    from item_consignments
),

items_in_consignments as (
    select
        items.*,
        positions.consignment_id,
        consignment_values.consignment_intrinsic_value_jc,
        positions.position_in_consignment_hs6
    from valued_items as items
    inner join item_positions as positions
        on items.declaration_id = positions.declaration_id
            and items.item_no = positions.item_no
    inner join consignment_values
        on positions.consignment_id = consignment_values.consignment_id
),

-- The regime in force on the declaration date; a row limited to the item's origin wins.
-- Chosen per distinct (jurisdiction, date, origin), then joined to the items on equality.
regime_keys as (
    select distinct
        case when is_eu then 'EU' else jurisdiction end as regime_jurisdiction,
        declared_date,
        origin_country
    from valued_items
),

regimes_by_key as (
    select *
    from (
        select
            regime_keys.regime_jurisdiction,
            regime_keys.declared_date,
            regime_keys.origin_country,
            import_regimes.regime as low_value_regime,
            import_regimes.duty_free_max,
            import_regimes.flat_duty_max,
            import_regimes.flat_duty_per_hs6,
            import_regimes.border_tax_free_max,
            import_regimes.ioss_max,
            import_regimes.tax_collected_below,
            import_regimes.import_tax_name,
            import_regimes.import_tax_rate_pct as regime_tax_rate_pct,
            row_number() over (
                partition by
                    regime_keys.regime_jurisdiction,
                    regime_keys.declared_date,
                    regime_keys.origin_country
                order by
                    case when import_regimes.origin_countries is null then 1 else 0 end,
                    import_regimes.valid_from desc
            ) as regime_rank
        from regime_keys
        left join import_regimes
            on regime_keys.regime_jurisdiction = import_regimes.jurisdiction
                and regime_keys.declared_date >= import_regimes.valid_from
                and (
                    regime_keys.declared_date <= import_regimes.valid_to
                    or import_regimes.valid_to is null
                )
                and (
                    import_regimes.origin_countries is null
                    or {{ dbt.position(
                        "'|' || regime_keys.origin_country || '|'",
                        "'|' || import_regimes.origin_countries || '|'"
                    ) }} > 0
                )
    ) as ranked
    where regime_rank = 1
),

items_with_regime as (
    select
        items.*,
        regimes.low_value_regime,
        regimes.duty_free_max,
        regimes.flat_duty_max,
        regimes.flat_duty_per_hs6,
        regimes.border_tax_free_max,
        regimes.ioss_max,
        regimes.tax_collected_below,
        regimes.import_tax_name,
        regimes.regime_tax_rate_pct
    from items_in_consignments as items
    left join regimes_by_key as regimes
        on (case when items.is_eu then 'EU' else items.jurisdiction end)
            is not distinct from regimes.regime_jurisdiction
            and items.declared_date is not distinct from regimes.declared_date
            and items.origin_country is not distinct from regimes.origin_country
),

items_with_duty_rate as (
    {{ select_with_duty_rate(
        'items_with_regime',
        ['declaration_id', 'item_no'],
        'jurisdiction',
        'is_eu',
        'hs_code',
        'declared_date'
    ) }}
),

items_with_tax_rate as (
    select
        items.*,
        cast(
            coalesce(items.regime_tax_rate_pct, vat_rates.standard_rate_pct, 0)
            as decimal(5, 2)
        ) as import_tax_rate_pct
    from items_with_duty_rate as items
    left join vat_rates
        on items.is_eu
            and items.jurisdiction = vat_rates.country
            and items.declared_date >= vat_rates.valid_from
            and (items.declared_date <= vat_rates.valid_to or vat_rates.valid_to is null)
),

items_with_treatment as (
    select
        *,
        case
            when flat_duty_max is not null
                and consignment_intrinsic_value_jc <= flat_duty_max then 'flat_duty'
            when duty_free_max is not null
                and consignment_intrinsic_value_jc <= duty_free_max then 'duty_relief'
            else 'ad_valorem'
        end as duty_treatment,
        case
            when import_tax_name is null then 'none'
            when ioss_max is not null and ioss_number is not null
                and consignment_intrinsic_value_jc <= ioss_max then 'ioss'
            when border_tax_free_max is not null
                and consignment_intrinsic_value_jc <= border_tax_free_max
                then case when tax_collected_below = 'none' then 'exempt'
                        else tax_collected_below
                    end
            else 'border'
        end as import_tax_collection
    from items_with_tax_rate
),

items_with_duty as (
    select
        *,
        case
            when duty_treatment = 'ad_valorem'
                then {{ money(divide('customs_value * coalesce(duty_rate_pct, 0)', '100')) }}
            else cast(0 as decimal(18, 2))
        end as duty_jc,
        -- EUR 3 per distinct HS6 of the consignment: charged on its first item of that HS6.
        case
            when duty_treatment = 'flat_duty' and position_in_consignment_hs6 = 1
                then cast(flat_duty_per_hs6 as decimal(18, 2))
            else cast(0 as decimal(18, 2))
        end as flat_duty_jc
    from items_with_treatment
),

final as (
    select
        *,
        {{ money('customs_value + duty_jc + flat_duty_jc') }} as import_tax_base_jc,
        case
            when import_tax_collection in ('none', 'exempt') then cast(0 as decimal(18, 2))
            else {{ money(divide(
                '(customs_value + duty_jc + flat_duty_jc) * import_tax_rate_pct', '100'
            )) }}
        end as import_tax_jc,
        -- Duty and tax lost if the goods passed at their declared value: the value gap at the
        -- item's ad valorem duty rate and import tax rate (flat duty does not depend on value).
        {{ money(
            'greatest(value_gap, 0) * ('
            ~ divide(
                "case when duty_treatment = 'ad_valorem' then coalesce(duty_rate_pct, 0) else 0 end",
                '100'
            )
            ~ ' + ' ~ divide(
                "case when import_tax_collection in ('none', 'exempt') then 0"
                ~ " else import_tax_rate_pct end",
                '100'
            )
            ~ ' * (1 + ' ~ divide(
                "case when duty_treatment = 'ad_valorem' then coalesce(duty_rate_pct, 0) else 0 end",
                '100'
            )
            ~ '))'
        ) }} as revenue_at_risk_jc
    from items_with_duty
)

select * from final
