"""Outcomes of customs controls on declarations.

- **Who is inspected**: 2% of honest H7 declarations, 5% of H1, 8% of warehouse entries; customs
  already profile high-risk sellers, so their honest declarations are inspected 2.5 times as
  often. Anomalous declarations: 25% (35% for H1 and WH). So most anomalies are never inspected
  and most inspections find nothing.
- **When**: 1-6 days after the declaration, in working hours (07:00-17:00 UTC); only inspections
  inside the generated window are written.
- **Result**: an inspected anomaly is found with probability 85% (undervaluation), 70%
  (misclassification), 50% (split consignment), 80% (warehouse lot, reported as
  ``undervaluation``); when missed, and for 94% of honest declarations, the result is
  ``no_irregularity`` with an empty ``assessed_value`` and ``additional_revenue`` 0. The other 6%
  of honest inspections find ``other`` irregularities (origin, documents): assessed value = the
  declared value, additional revenue 0-3% of it.
- **Findings**: ``assessed_value`` = the price actually paid (undervaluation) or the declared value
  (misclassification, split), ``additional_revenue`` = the revenue at stake of the labels,
  converted to the declaration's currency at the indicative rate.
"""

from __future__ import annotations

import numpy as np

from customs.generator import world as W
from customs.generator.declarations import MISCLASSIFICATION, NONE, SPLIT, UNDERVALUATION, WAREHOUSE

RESULTS = ("no_irregularity", "undervaluation", "misclassification", "split_consignment", "other")
DETECTION = {UNDERVALUATION: 0.85, MISCLASSIFICATION: 0.70, SPLIT: 0.50, WAREHOUSE: 0.80}
RESULT_OF = {UNDERVALUATION: 1, MISCLASSIFICATION: 2, SPLIT: 3, WAREHOUSE: 1}


def inspect(
    facts: dict[str, np.ndarray], rng: np.random.Generator, window_end: int
) -> dict[str, np.ndarray]:
    """Inspection rows for declarations described by ``facts`` (see ``declare_direct``)."""
    n = len(facts["decl_num"])
    anomaly = facts["anomaly"]
    procedure = facts["procedure"]  # 0 H7, 1 H1, 2 WH
    honest_p = np.choose(procedure, [0.02, 0.05, 0.08]) * np.where(facts["high_risk"], 2.5, 1.0)
    fraud_p = np.where(procedure == 0, 0.25, 0.35)
    inspected = rng.random(n) < np.where(anomaly == NONE, honest_p, fraud_p)

    days = rng.integers(1, 7, n)
    day_start = (facts["declared_at"] // 86400 + days) * 86400
    inspected_at = day_start + rng.integers(7 * 3600, 17 * 3600, n)
    inspected &= inspected_at < window_end

    detect_p = np.zeros(n)
    result = np.zeros(n, dtype=np.int64)
    for kind, p in DETECTION.items():
        detect_p[anomaly == kind] = p
    found = (anomaly != NONE) & (rng.random(n) < detect_p)
    for kind, code in RESULT_OF.items():
        result[found & (anomaly == kind)] = code
    other = (anomaly == NONE) & (rng.random(n) < 0.06)
    result[other] = 4

    fx = W.FX[facts["cur"]]
    declared = facts["declared"]
    assessed = np.where(result == 1, facts["true"], np.where(result > 1, declared, -1)).astype(
        np.int64
    )
    found_rev = np.round(facts["revenue_eur"] * fx * 100) * 100
    other_rev = np.round(declared * rng.uniform(0.0, 0.03, n) / 100) * 100
    revenue = np.where(found, found_rev, np.where(other, other_rev, 0)).astype(np.int64)

    out = {
        "decl_num": facts["decl_num"],
        "declared_at": facts["declared_at"],
        "country": facts["country"],
        "inspected_at": inspected_at,
        "result": result,
        "assessed": assessed,
        "cur": facts["cur"],
        "revenue": np.maximum(revenue, 0),
    }
    return {k: v[inspected] for k, v in out.items()}
