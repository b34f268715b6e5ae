"""A supervised risk model beside the rule signals: gradient boosting trained on the outcomes of
earlier inspections only (docs/risk-evaluation.md). ``features`` reads what is known at
declaration time, ``train`` fits one model on outcomes known before a cut-off day, ``score``
scores day blocks with models trained strictly before them, ``task`` writes the results into
the warehouse from the customs_marts DAG."""
