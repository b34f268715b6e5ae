{#
    One row per seller with its risk history (macros/risk/risk_entity_dimension.sql).
#}
{{ risk_entity_dimension('seller_id') }}
