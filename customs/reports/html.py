"""report.html: one self-contained page (inline CSS, charts as data URIs, no script, no link).

Opening it needs no network: everything it shows is inside the file. Each headline and quality
figure carries ``data-figure`` / ``data-value`` attributes with the unformatted value, so a
program (and the tests) can read the figures back without parsing formatted numbers.
"""

from __future__ import annotations

import base64

import jinja2

from customs.reports import content
from customs.reports.data import ReportData

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 60em; margin: 2em auto;
  padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.5em; border-bottom: 2px solid #1f5f8b; padding-bottom: .3em; }
h2 { font-size: 1.2em; color: #1f5f8b; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; margin: .5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
.meta { color: #666; font-size: .85em; }
img { max-width: 100%; display: block; margin: .5em 0 1.5em; }
.figures td:first-child { width: 60%; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="meta">Run {{ run_id }} &middot; made {{ created_at }} from the published warehouse
snapshot &middot; amounts in {{ data.currency }} unless stated.</p>

<h2>Headline figures</h2>
<table class="figures" id="headline">
{% for key, label, text, plain in headline %}<tr><td>{{ label }}</td>
<td class="num" data-figure="{{ key }}" data-value="{{ plain }}">{{ text }}</td></tr>
{% endfor %}</table>

<h2>Charts</h2>
{% for name, (chart_title, png) in charts.items() %}<figure id="chart-{{ name }}">
<img alt="{{ chart_title }}" src="data:image/png;base64,{{ png }}">
</figure>
{% endfor %}

<h2>Highest-risk declarations and why</h2>
{% if high_risk %}<table id="high-risk">
<tr>{% for _, header in high_risk_columns %}<th>{{ header }}</th>{% endfor %}</tr>
{% for row in high_risk %}<tr>{% for key, _ in high_risk_columns %}<td>{{ row[key] }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p>No declaration of this month has a risk signal.</p>{% endif %}

{% if ioss %}<h2>IOSS returns (ioss/*.json)</h2>
<table id="ioss">
<tr><th>IOSS number</th><th class="num">Member states of consumption</th>
<th class="num">Taxable amount (EUR)</th><th class="num">VAT incl. corrections (EUR)</th>
<th>Corrections</th></tr>
{% for row in ioss %}<tr><td>{{ row.ioss_number }}</td><td class="num">{{ row.member_states }}</td>
<td class="num">{{ "{:,.2f}".format(row.taxable) }}</td><td class="num">{{ "{:,.2f}".format(row.vat) }}</td>
<td>{{ "yes" if row.has_corrections else "no" }}</td></tr>
{% endfor %}</table>{% endif %}

<h2>Data quality for {{ data.month }}</h2>
<table class="figures" id="quality">
{% for key, label, text in quality %}<tr><td>{{ label }}</td>
<td class="num" data-figure="{{ key }}" data-value="{{ data.quality[key] }}">{{ text }}</td></tr>
{% endfor %}</table>
{% if failed %}<p>Failed expectations:</p><table id="failed-expectations">
<tr><th>Suite</th><th>Day</th><th>Expectation</th><th>Column</th><th>Severity</th></tr>
{% for row in failed %}<tr><td>{{ row.suite }}</td><td>{{ row.data_interval }}</td>
<td>{{ row.expectation_type }}</td><td>{{ row.column_name or "" }}</td><td>{{ row.severity }}</td></tr>
{% endfor %}</table>{% else %}<p>No expectation failed this month.</p>{% endif %}
{% if rejects %}<p>Rejected rows by reason:</p><table id="rejects">
<tr><th>Feed</th><th>Reason</th><th class="num">Rows</th></tr>
{% for row in rejects %}<tr><td>{{ row.feed }}</td><td>{{ row.reason }}</td>
<td class="num">{{ "{:,}".format(row.rows_rejected) }}</td></tr>
{% endfor %}</table>{% endif %}

<h2>How the figures were made</h2>
{% for paragraph in method %}<p>{{ paragraph }}</p>
{% endfor %}
<p>Legal and data sources:</p>
<ul>{% for source in sources %}<li>{{ source }}</li>{% endfor %}</ul>
<p class="meta">Files of this package: report.html, report.pdf, extracts.xlsx, csv/*.csv,
ioss/*.json (EU), manifest.json.</p>
</body>
</html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def render(
    data: ReportData, charts: dict[str, tuple[str, bytes]], run_id: str, created_at: str
) -> str:
    return _ENV.from_string(_TEMPLATE).render(
        title=content.title(data),
        data=data,
        run_id=run_id,
        created_at=created_at,
        headline=content.headline_rows(data),
        charts={
            name: (chart_title, base64.b64encode(png).decode("ascii"))
            for name, (chart_title, png) in charts.items()
        },
        high_risk=data.tables["high_risk_declarations"].to_dicts(),
        high_risk_columns=content.HIGH_RISK_COLUMNS,
        quality=content.quality_rows(data),
        ioss=content.ioss_summary(data),
        failed=data.tables["quality_failed_expectations"].to_dicts(),
        rejects=data.tables["quality_rejects"].to_dicts(),
        method=content.METHOD,
        sources=content.SOURCES,
    )
