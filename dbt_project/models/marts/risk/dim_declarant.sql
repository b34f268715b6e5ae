{#
    One row per declarant with its risk history (macros/risk/risk_entity_dimension.sql).
#}
{{ risk_entity_dimension('declarant_id') }}
