"""Deterministic, realistic sample feeds for the customs valuation warehouse.

``generate(out, start, days, seed, scale)`` writes the five canonical feeds of DESIGN.md in the
landing layout ``<out>/landing/<feed>/<YYYY-MM-DD>/<feed>.<csv|jsonl>`` and the labels of the
injected anomalies to ``<out>/labels/labels.parquet``, which the pipeline never reads.

Modules, each owning one thing: ``catalogue`` (static products, places, rates), ``world``
(sellers, SKUs, buyers, declarants), ``orders`` (directly shipped order lines), ``declarations``
(their import declarations and the anomalies), ``warehouse`` (bulk lots, warehouse sales and
dispatches), ``inspections`` (control outcomes), ``ids`` (identifiers), ``writer`` (text formats
and atomic files), ``run`` (the entry point). ``docs/generator.md`` describes the distributions.
"""

from customs.generator.run import GenerateResult, generate

__all__ = ["GenerateResult", "generate"]
