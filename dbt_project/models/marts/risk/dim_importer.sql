{#
    One row per importer with its risk history (macros/risk/risk_entity_dimension.sql).
#}
{{ risk_entity_dimension('importer_id') }}
