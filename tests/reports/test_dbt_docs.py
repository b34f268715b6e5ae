"""The analysts' dbt docs: one self-contained page under CUSTOMS_HOME/dbt_docs."""

from __future__ import annotations

import json


def test_dbt_docs_static_site_describes_the_marts(report_home):
    from customs.dbt_docs import generate_docs

    settings = report_home.settings
    path, _ = generate_docs(settings)
    assert path == str(settings.dbt_docs_dir / "index.html")
    page = (settings.dbt_docs_dir / "index.html").read_text(encoding="utf-8")
    # The static page inlines the manifest and the catalog: no server, no JSON fetched.
    assert "model.customs.fct_customs_valuation" in page
    catalog = json.loads((settings.dbt_docs_dir / "catalog.json").read_text())
    columns = catalog["nodes"]["model.customs.fct_customs_valuation"]["columns"]
    assert {"customs_value", "value_gap", "importer_id"} <= {c.lower() for c in columns}
    assert not (settings.dbt_docs_dir.parent / ".dbt_docs.tmp").exists()
