"""Row-for-row comparison of a model built on DuckDB and on Spark.

The DuckDB side is read from the build file; the Spark side from the Parquet files of its
managed table under the Spark warehouse folder (no second Spark session needed). Rows are
compared as sorted multisets over every column: decimals, integers, text, dates and booleans
exactly, timestamps as UTC instants, and floating-point columns within FLOAT_TOLERANCE.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

# Relative tolerance for double columns: engines may sum or divide doubles in another order.
FLOAT_TOLERANCE = 1e-9


def duckdb_table(warehouse: Path, schema: str, table: str) -> pl.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.sql(f'select * from "{schema}"."{table}"').pl()


def spark_table(spark_warehouse: Path, schema: str, table: str) -> pl.DataFrame:
    folder = spark_warehouse / f"{schema}.db" / table
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"no Parquet files in {folder}: was the model built on Spark?")
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        paths = ", ".join(f"'{path}'" for path in files)
        return con.sql(f"select * from read_parquet([{paths}], union_by_name = true)").pl()


def _comparable(frame: pl.DataFrame) -> pl.DataFrame:
    """Timestamps as UTC, the same column order; floats kept for the tolerance check."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                column = column.dt.replace_time_zone("UTC")
            column = column.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        columns.append(column)
    return frame.select(columns).select(sorted(frame.columns))


def differences(duck: pl.DataFrame, spark: pl.DataFrame) -> list[str]:
    """What differs between the two builds of one model; empty when they are the same."""
    problems: list[str] = []
    if set(duck.columns) != set(spark.columns):
        return [
            f"columns only on DuckDB: {sorted(set(duck.columns) - set(spark.columns))}; "
            f"only on Spark: {sorted(set(spark.columns) - set(duck.columns))}"
        ]
    if duck.height != spark.height:
        problems.append(f"row count {duck.height} on DuckDB, {spark.height} on Spark")
    duck, spark = _comparable(duck), _comparable(spark)
    floats = [name for name, dtype in duck.schema.items() if dtype.is_float()]
    exact = [name for name in duck.columns if name not in floats]
    for name in exact:
        if duck.schema[name] != spark.schema[name]:
            problems.append(f"{name}: {duck.schema[name]} on DuckDB, {spark.schema[name]} on Spark")
    if problems:
        return problems
    order = exact + floats
    duck = duck.sort(order, nulls_last=True)
    spark = spark.sort(order, nulls_last=True)
    for name in exact:
        unequal = duck[name].ne_missing(spark[name])
        if unequal.any():
            row = unequal.arg_true()[0]
            problems.append(
                f"{name}: {unequal.sum()} row(s) differ, first: {duck[name][row]!r} on DuckDB, "
                f"{spark[name][row]!r} on Spark"
            )
    for name in floats:
        pair = pl.DataFrame({"duck": duck[name], "spark": spark[name]}).cast(pl.Float64)
        duck_value, spark_value = pl.col("duck"), pl.col("spark")
        scale = pl.max_horizontal(duck_value.abs(), spark_value.abs(), pl.lit(1.0))
        same = (duck_value.is_null() & spark_value.is_null()) | (
            (duck_value - spark_value).abs() <= FLOAT_TOLERANCE * scale
        ).fill_null(False)
        bad = ~pair.select(same.alias("same")).to_series()
        left, right = pair["duck"], pair["spark"]
        if bad.any():
            row = bad.arg_true()[0]
            problems.append(
                f"{name}: {bad.sum()} row(s) beyond {FLOAT_TOLERANCE:g}, first: "
                f"{left[row]!r} on DuckDB, {right[row]!r} on Spark"
            )
    return problems
