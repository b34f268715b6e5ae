{#
    One row per declarant with its risk history (macros/risk/risk_entity_dimension.sql).
    Incremental on DuckDB: a daily build computes again the declarants it touched and decays the
    others (docs/incremental.md).
#}
-- depends_on: {{ ref('int_declarations_rescored_from') }}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='declarant_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "{{ delete_vanished_entities('declarant_id') }}",
        "{{ decay_entity_history('declarant_id') }}",
    ]
) }}
{{ risk_entity_dimension('declarant_id') }}
