{#
    One row per seller with its risk history (macros/risk/risk_entity_dimension.sql).
    Incremental on DuckDB: a daily build computes again the sellers it touched and decays the
    others (docs/incremental.md).
#}
-- depends_on: {{ ref('int_declarations_rescored_from') }}
{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    unique_key='seller_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook=[
        "{{ delete_vanished_entities('seller_id') }}",
        "{{ decay_entity_history('seller_id') }}",
    ]
) }}
{{ risk_entity_dimension('seller_id') }}
