{#
    One row per seller with its risk history (macros/risk/risk_entity_dimension.sql).
    A table: a daily build touches nearly every seller (they declare every day), so computing
    them all costs less than selecting the touched ones (dim_importer, with most importers
    seen once, is incremental).
#}
{{ risk_entity_dimension('seller_id') }}
