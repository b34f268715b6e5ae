"""The `customs` console command: generate sample feeds, run the pipeline, query the warehouse."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from customs.settings import DEV_KEY_WARNING, load_settings

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _terminal():
    """A console on a copy of the terminal's descriptor, unaffected by redirecting fd 1."""
    from rich.console import Console

    return Console(file=os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Customs valuation warehouse: values cross-border e-commerce imports and ranks them by risk.

    All state lives under CUSTOMS_HOME (default ./.customs). Typical use:

    \b
      customs generate --out .customs/sample --start 2026-09-01 --days 30
      customs run --landing .customs/sample/landing --start 2026-09-01 --end 2026-09-30
      customs query "select jurisdiction, count(*) from marts.fct_customs_valuation group by 1"
      customs evaluate --labels .customs/sample/labels/labels.parquet
    """


@main.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--start", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--days", type=click.IntRange(min=1), required=True, help="Number of days.")
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="Volume multiplier: 1.0 is about 1,800 declaration items a day.",
)
@click.option(
    "--source-formats",
    is_flag=True,
    help="Also write EuroCart orders as eurocart.csv (';', cp1252, gross cents), DragonMart "
    "orders as order API pages under OUT/api (see serve-sample) and warehouse feeds as WMS XML.",
)
def generate(out: Path, start, days: int, seed: int, scale: float, source_formats: bool) -> None:
    """Write deterministic sample feeds in the landing layout, plus a separate labels file.

    OUT/landing/<feed>/<YYYY-MM-DD>/ holds the five canonical feeds; OUT/labels/labels.parquet
    lists the injected anomalies (undervaluation, split consignments, misclassification,
    under-declared warehouse lots). The pipeline never reads the labels: they exist to measure
    the risk ranking.
    """
    from customs.generator import generate as run_generator

    result = run_generator(
        out, start.date(), days, seed=seed, scale=scale, source_formats=source_formats
    )
    click.echo(
        f"wrote sample feeds for {days} day(s) from {start:%Y-%m-%d} in {result.seconds:.1f}s"
    )
    for feed, rows in result.rows.items():
        click.echo(f"  {feed:<22} {rows:>12,} rows")
    click.echo(f"  landing: {result.landing_dir}")
    click.echo(f"  labels:  {result.labels_path} ({result.labels:,} anomalies)")
    if result.api_dir is not None:
        click.echo(f"  order API pages: {result.api_dir} (customs serve-sample --dir ...)")


@main.command("serve-sample")
@click.option(
    "--dir",
    "root",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    required=True,
    help="Folder of recorded pages <feed>/<YYYY-MM-DD>/page-00001.json.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--token", default=None, help="Require this bearer token.")
@click.option(
    "--faults",
    default="",
    help="Comma-separated responses served in a cycle before real ones: 429,500,timeout,ok.",
)
def serve_sample(root: Path, host: str, port: int, token: str | None, faults: str) -> None:
    """Serve recorded order API pages over HTTP (the demo's API source), until stopped.

    GET /<feed>?date=YYYY-MM-DD[&cursor=p<N>] returns a page with its next_cursor.
    """
    from customs.sources.sample_server import SampleApi

    api = SampleApi(
        root, host=host, port=port, token=token, faults=[f for f in faults.split(",") if f]
    )
    click.echo(f"serving {root} on {api.url}", err=True)
    try:
        api.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        api.server.server_close()


@main.command()
@click.option(
    "--landing",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Source folder in the landing layout <feed>/<YYYY-MM-DD>/<file> "
    "(default: CUSTOMS_SOURCE_DIR, else CUSTOMS_HOME/inbox).",
)
@click.option("--start", type=DATE, required=True, help="First data interval (day).")
@click.option("--end", type=DATE, required=True, help="Last data interval (day), inclusive.")
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild incremental marts from every partition (after a model change or a backfill).",
)
def run(landing: Path | None, start, end, full_refresh: bool) -> None:
    """Run every day from START to END through the Airflow DAGs, then build and publish the marts.

    Each day is one run of the customs_daily DAG (land, standardise, check the feeds); then the
    customs_marts DAG builds the dbt models, checks the marts and publishes the read-only
    snapshot. Rerunning a day replaces that day's data. Airflow's logs go to CUSTOMS_HOME/logs.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from customs.runner import RunFailed, days_between, run_range
    from customs.summary import summarize

    settings = load_settings()
    source_dir = (landing or settings.source_dir).resolve()
    console = _terminal()
    if settings.pseudonym_key_is_default:
        console.print(f"[yellow]warning:[/yellow] {DEV_KEY_WARNING}")
    days = days_between(start.date(), end.date())
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        bar = progress.add_task("starting", total=len(days) + 2)

        def on_step(message: str) -> None:
            if progress.tasks[bar].description != "starting":
                progress.advance(bar)
            progress.update(bar, description=message)

        try:
            result = run_range(
                settings,
                source_dir,
                start.date(),
                end.date(),
                on_step=on_step,
                full_refresh=full_refresh,
            )
        except RunFailed as exc:
            progress.stop()
            console.print(f"[red]run failed:[/red] {exc}")
            sys.exit(1)
        progress.update(bar, completed=len(days) + 2, description="done")

    summary = summarize(settings, start.date(), end.date())
    _print_summary(console, summary, result)


def _print_summary(console, summary, result) -> None:
    from rich.table import Table

    table = Table(title=f"{len(result.days)} daily run(s) in {result.seconds:.0f}s")
    table.add_column("feed", no_wrap=True)
    for header in ("files", "rows read", "standardised", "rejected", "files rejected"):
        table.add_column(header, justify="right")
    for f in summary.feeds:
        table.add_row(
            f.feed,
            f"{f.files:,}",
            f"{f.rows_read:,}",
            f"{f.rows_standardized:,}",
            f"{f.rows_rejected:,}",
            f"{f.files_rejected:,}",
        )
    console.print(table)
    for name, rows in summary.mart_rows.items():
        console.print(f"{name}: {rows:,} rows")
    for name, path in summary.outputs.items():
        console.print(f"{name}: {path}")
    console.print(f"Airflow task logs: {result.log_path}")


@main.command()
@click.argument("sql")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--limit", type=int, default=100, show_default=True, help="Rows shown as a table.")
def query(sql: str, fmt: str, limit: int) -> None:
    """Run SQL against the published read-only snapshot (never the build file)."""
    import duckdb

    settings = load_settings()
    if not settings.published_path.exists():
        raise click.ClickException(
            f"no published warehouse at {settings.published_path}: run `customs run` first"
        )
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        try:
            frame = con.sql(sql).pl()
        except duckdb.Error as exc:
            raise click.ClickException(str(exc)) from exc
    if fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        click.echo(frame.write_json())
    else:
        from rich.table import Table

        table = Table(show_lines=False)
        for column in frame.columns:
            table.add_column(column)
        for row in frame.head(limit).iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        _terminal().print(table)
        if frame.height > limit:
            click.echo(f"({frame.height:,} rows, {limit} shown; use --format csv for all)")


@main.command()
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The generator's labels.parquet (the pipeline itself never reads it).",
)
def evaluate(labels_path: Path) -> None:
    """Measure the published risk ranking against labels: precision@n% and revenue@n%.

    Compares the composite score of marts.fct_risk_scores, each signal alone, the learned model
    (marts.fct_risk_model_scores) and a seeded random order (Kim et al., KDD 2020 metrics), on
    the days the model scored (a hold-out after its training period) when it ran; writes
    CUSTOMS_HOME/evaluation/metrics.json.
    """
    from customs.evaluation import evaluate as run_evaluation
    from customs.evaluation import format_table

    settings = load_settings()
    if not settings.published_path.exists():
        raise click.ClickException(
            f"no published warehouse at {settings.published_path}: run `customs run` first"
        )
    out_dir = settings.home / "evaluation"
    click.echo(format_table(run_evaluation(settings.published_path, labels_path, out_dir)))
    click.echo(f"metrics: {out_dir / 'metrics.json'}")


@main.command()
@click.option("--month", required=True, help="Month of the packages (YYYY-MM).")
@click.option(
    "--jurisdiction",
    default=None,
    help="One jurisdiction (ISO alpha-2); default: every one with data that month.",
)
def report(month: str, jurisdiction: str | None) -> None:
    """Write the month's regulator packages to CUSTOMS_HOME/reports/<jurisdiction>/<YYYY-MM>/.

    Each holds report.html, report.pdf, extracts.xlsx, csv/, ioss/ (IOSS returns, EU) and a
    manifest.json chained to the previous month's; made from the published snapshot.
    """
    from customs.reports import build_month

    settings = load_settings()
    try:
        results = build_month(settings, month, [jurisdiction] if jurisdiction else None)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    for r in results:
        click.echo(
            f"{r.jurisdiction} {r.month}: {r.files} files, {r.ioss_returns} IOSS return(s) "
            f"in {r.seconds:.1f}s: {r.path}"
        )
    if not results:
        click.echo(f"no data for {month}: no package written")


@main.command()
@click.option("--jurisdiction", default=None, help="Only this jurisdiction's packages.")
def verify(jurisdiction: str | None) -> None:
    """Recompute every report file's SHA-256 and check the month-to-month manifest chain."""
    from customs.reports import verify as verify_packages

    checked, problems = verify_packages(load_settings(), jurisdiction)
    for problem in problems:
        click.echo(f"ALTERED: {problem}", err=True)
    if problems:
        click.echo(f"verification failed: {len(problems)} problem(s) in {checked} package(s)")
        sys.exit(1)
    if not checked:
        raise click.ClickException("no report package found to verify")
    click.echo(f"verified {checked} package(s): every file and the manifest chain are intact")


@main.group()
def airflow() -> None:
    """A local Airflow with its UI (scheduler, DAG processor, API server) under CUSTOMS_HOME."""


@airflow.command("start")
@click.option("--port", type=int, default=8080, show_default=True, help="API server and UI port.")
def airflow_start(port: int) -> None:
    """Provision (metadata DB, pool, connections) and start Airflow in the background."""
    from customs import airflow_server

    settings = load_settings()
    try:
        info = airflow_server.start(settings, port=port)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Airflow UI and API: {info.url}")
    click.echo(f"login: {info.username} / {info.password}  (from {info.passwords_file})")
    click.echo(f"DAGs read sources from {settings.source_dir} (CUSTOMS_SOURCE_DIR)")
    for component, path in info.logs.items():
        click.echo(f"  {component:<14} log: {path}")
    click.echo("stop with: customs airflow stop (or make airflow-stop)")


@airflow.command("stop")
def airflow_stop() -> None:
    """Stop the scheduler, DAG processor and API server started by `customs airflow start`."""
    from customs import airflow_server

    stopped = airflow_server.stop(load_settings())
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "Airflow was not running")


@airflow.command("status")
def airflow_status() -> None:
    """Show which components run and whether the API answers."""
    from customs import airflow_server

    state = airflow_server.status(load_settings())
    for component in airflow_server.COMPONENTS:
        pid = state["running"].get(component)
        click.echo(f"{component:<14} {'running, pid ' + str(pid) if pid else 'stopped'}")
    if state["port"]:
        answer = "healthy" if state["health"] else "not answering"
        click.echo(f"API http://127.0.0.1:{state['port']}: {answer}")
    if len(state["running"]) != len(airflow_server.COMPONENTS):
        sys.exit(1)


if __name__ == "__main__":
    main()
