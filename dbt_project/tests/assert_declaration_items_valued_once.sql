-- Reconciliation: every declaration item delivered (counted once however often it was
-- re-delivered) is in fct_customs_valuation exactly once, and the mart holds nothing else.
-- Returns the offending items.
-- A daily build reconciles the items it rebuilt: those delivered in a rebuilt day's files
-- against the fact rows of those days (an item re-delivered on a rebuilt day moves its row to
-- that day; the other rows are unchanged since the build that reconciled them). A full
-- refresh reconciles every item (macros/rebuilt_rows_tests.sql).

with

delivered_items as (
    select distinct
        declaration_id,
        item_no
    from {{ ref('stg_customs_feeds__declarations') }}
    {% if var('rebuild_from', none) %}
        where {{ loaded_on_rebuilt_days('declarations') }}
    {% endif %}
),

valued_items as (
    select
        declaration_id,
        item_no,
        count(*) as times_valued
    from {{ ref('fct_customs_valuation') }}
    {% if var('rebuild_from', none) %}
        where data_interval >= {{ rebuild_from_date() }}
    {% endif %}
    group by declaration_id, item_no
),

final as (
    select
        coalesce(delivered_items.declaration_id, valued_items.declaration_id) as declaration_id,
        coalesce(delivered_items.item_no, valued_items.item_no) as item_no,
        delivered_items.declaration_id is not null as is_delivered,
        coalesce(valued_items.times_valued, 0) as times_valued
    from delivered_items
    full outer join valued_items
        on delivered_items.declaration_id = valued_items.declaration_id
            and delivered_items.item_no = valued_items.item_no
    where delivered_items.declaration_id is null
        or valued_items.times_valued is null
        or valued_items.times_valued != 1
)

select * from final
