{#
    The events of each entity (seller, declarant, importer) per day, with its sums over the
    strictly earlier days, for entity history (int_declarations_entity_history_scored): one row
    per entity and day with a declaration of it or an inspection of one of its declarations.
    - declarations: its declarations of the day, and those a rule signal fired on (value gap,
      reference price, misclassification, split consignment; the warehouse-lot signal is left
      out: it rests on resales after the lot's declaration);
    - inspections: the inspections of its declarations made that day, and their findings.
    Decayed sums are carried grown: an event of day e counts growth(e) = 2 ^ ((e - a) / h),
    a being the entity's first event day and h var('entity_history_half_life_days'), so that on
    day d the decayed sum 0.5 ^ ((d - e) / h) summed over earlier events is the grown sum /
    growth(d): a running sum instead of a join of every day with every earlier day. It stays
    finite for an entity whose history is shorter than about 1,000 half-lives (80 years at the
    default 30 days).

    Incremental on DuckDB (macros/incremental_days.sql, docs/incremental.md): a build deletes
    the days from the first rescored day on and computes them again, each entity's sums carried
    on from its last day before them.
#}
-- depends_on: {{ ref('int_declarations_rescored_from') }}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key=['entity_type', 'entity_id', 'event_date'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ delete_rescored_entity_days() }}"
) }}

with

declaration_items as (
    select
        declaration_id,
        declared_date,
        seller_id,
        declarant_id,
        importer_id
    from {{ ref('fct_customs_valuation') }}
),

inspections as (
    select distinct
        declaration_id,
        inspected_date,
        result
    from {{ ref('stg_customs_feeds__inspections') }}
    {% if is_incremental() %}
        where inspected_date >= {{ rescored_from_date('event_date') }}
    {% endif %}
),

-- The declarations a rule signal fired on (a few percent of them: only those rows are read
-- on, not every item's flag).
signalled_declarations as (
    select declaration_id
    from {{ ref('int_declaration_items_value_gap_scored') }}
    where is_value_gap_flagged
    union
    select declaration_id
    from {{ ref('int_declaration_items_unit_values_referenced') }}
    where is_below_reference
    union
    select declaration_id
    from {{ ref('int_declaration_items_misclassification_flagged') }}
    where is_misclassified
    union
    select declaration_id
    from {{ ref('int_consignments_split_flagged') }}
    where is_split_consignment
),

-- The declarations of the computed days, and (for their entities) the inspected ones.
declarations_of_items as (
    select
        declaration_id,
        min(declared_date) as declared_date,
        min(seller_id) as seller_id,
        min(declarant_id) as declarant_id,
        min(importer_id) as importer_id
    from declaration_items
    {% if is_incremental() %}
        where
            declared_date >= {{ rescored_from_date('event_date') }}
            or declaration_id in (
                select inspected.declaration_id from inspections as inspected
            )
    {% endif %}
    group by declaration_id
),

declarations as (
    select
        declarations_of_items.*,
        signalled.declaration_id is not null as is_signalled,
        {% if is_incremental() %}
            declarations_of_items.declared_date
            >= {{ rescored_from_date('event_date') }}
        {% else %}
            true
        {% endif %} as is_computed_day
    from declarations_of_items
    left join signalled_declarations as signalled
        on declarations_of_items.declaration_id = signalled.declaration_id
),

entities_of_declarations as (
    select
        declaration_id,
        declared_date,
        is_signalled,
        is_computed_day,
        entity_type,
        entity_id
    from declarations
    unpivot (
        entity_id for entity_type in (seller_id, declarant_id, importer_id)
    )
),

signal_days as (
    select
        entity_type,
        entity_id,
        declared_date as event_date,
        count(*) as declarations,
        count(*) filter (where is_signalled) as signalled
    from entities_of_declarations
    where is_computed_day
    group by entity_type, entity_id, declared_date
),

inspection_days as (
    select
        entities.entity_type,
        entities.entity_id,
        inspections.inspected_date as event_date,
        count(*) as inspections,
        count(*) filter (
            where inspections.result != 'no_irregularity'
        ) as findings
    from inspections
    inner join entities_of_declarations as entities
        on inspections.declaration_id = entities.declaration_id
    group by all
),

entity_days as (
    select
        entity_type,
        entity_id,
        event_date,
        sum(declarations) as declarations,
        sum(signalled) as signalled,
        sum(inspections) as inspections,
        sum(findings) as findings
    from (
        select
            entity_type,
            entity_id,
            event_date,
            0 as declarations,
            0 as signalled,
            inspections,
            findings
        from inspection_days
        union all
        select
            entity_type,
            entity_id,
            event_date,
            declarations,
            signalled,
            0 as inspections,
            0 as findings
        from signal_days
    ) as events
    group by entity_type, entity_id, event_date
),

{% if is_incremental() %}
    -- Each entity's sums at the end of its last stored day (the rows left before the
    -- computed days), to carry on from.
    carried as (
        select
            entity_type,
            entity_id,
            first_event_date,
            past_findings + findings as past_findings,
            past_signalled + signalled as past_signalled,
            grown_findings + findings * growth as grown_findings,
            grown_inspections + inspections * growth as grown_inspections,
            grown_signalled + signalled * growth as grown_signalled,
            grown_declarations + declarations * growth as grown_declarations
        from (
            select
                previous.*,
                row_number() over (
                    partition by previous.entity_type, previous.entity_id
                    order by previous.event_date desc
                ) as recency
            from {{ this }} as previous
            inner join (
                select distinct
                    entity_type,
                    entity_id
                from entity_days
            ) as computed
                on
                    previous.entity_type = computed.entity_type
                    and previous.entity_id = computed.entity_id
            where previous.event_date < {{ rescored_from_date('event_date') }}
        ) as latest
        where recency = 1
    ),
{% endif %}

entity_days_anchored as (
    select
        entity_days.*,
        {% if is_incremental() %}
            carried.past_findings as carried_past_findings,
            carried.past_signalled as carried_past_signalled,
            carried.grown_findings as carried_grown_findings,
            carried.grown_inspections as carried_grown_inspections,
            carried.grown_signalled as carried_grown_signalled,
            carried.grown_declarations as carried_grown_declarations,
            coalesce(
                carried.first_event_date,
                min(entity_days.event_date) over per_entity
            ) as first_event_date
        {% else %}
            min(entity_days.event_date) over per_entity as first_event_date
        {% endif %}
    from entity_days
    {% if is_incremental() %}
        -- (sqlfluff lints one side of the if: the columns of carried are read above)
        left join carried  -- noqa: ST11
            on
                entity_days.entity_type = carried.entity_type
                and entity_days.entity_id = carried.entity_id
    {% endif %}
    window per_entity as (partition by entity_days.entity_type, entity_days.entity_id)
),

entity_days_grown as (
    select
        *,
        power(
            2.0,
            {{ dbt.datediff('first_event_date', 'event_date', 'day') }}
            / {{ var('entity_history_half_life_days') }}
        ) as growth
    from entity_days_anchored
),

{%- set carried_sums = {
    'past_findings': ('findings', 'bigint'),
    'past_signalled': ('signalled', 'bigint'),
    'grown_findings': ('findings * growth', 'double'),
    'grown_inspections': ('inspections * growth', 'double'),
    'grown_signalled': ('signalled * growth', 'double'),
    'grown_declarations': ('declarations * growth', 'double'),
} %}

final as (
    select
        entity_type,
        entity_id,
        event_date,
        first_event_date,
        cast(growth as double) as growth,
        cast(declarations as bigint) as declarations,
        cast(signalled as bigint) as signalled,
        cast(inspections as bigint) as inspections,
        cast(findings as bigint) as findings,
    {%- for name, (event, type) in carried_sums.items() %}
        cast(
            {% if is_incremental() %}coalesce(carried_{{ name }}, 0) + {% endif -%}
            coalesce(sum({{ event }}) over earlier_days, 0) as {{ type }}
        ) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
    from entity_days_grown
    window earlier_days as (
        partition by entity_type, entity_id
        order by event_date
        rows between unbounded preceding and 1 preceding
    )
)

select * from final
