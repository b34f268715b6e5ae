"""Names shared by the DAG files, kept free of heavy imports so DAG parsing stays fast.

`transforms.schemas.FEEDS` holds the feed contracts; this tuple must list the same feeds
(a test checks it), but importing it costs nothing.
"""

FEED_NAMES: tuple[str, ...] = (
    "orders",
    "declarations",
    "warehouse_receipts",
    "warehouse_dispatches",
    "inspections",
)

# DuckDB allows one writing process per database file: every task that opens the build file
# runs in this pool, which has a single slot.
DUCKDB_WRITER_POOL = "duckdb_writer"

# Emitted by the daily DAG when a day's feeds are standardised and checked; the marts DAG is
# scheduled on it.
STANDARDIZED_FEEDS_ASSET = "customs_standardized_feeds"
PUBLISHED_WAREHOUSE_ASSET = "customs_published_warehouse"

OWNER = "customs-data"

# The daily DAG standardises the day's landed files in at most this many mapped tasks, each a
# batch of files balanced by size: the files run in parallel on a real executor, while a day of
# many small files (API pages, per-seller exports) does not pay a task's start-up cost per file
# (about 0.3 s each; ~33 files a day in the demo).
FILE_BATCHES = 4

# Emitted per feed and day when the feed's day is standardised (extra: the day and row counts),
# through this alias, so one mapped task can name the asset of its own feed.
STANDARDIZED_FEED_DAY_ALIAS = "customs_standardized_feed_day"


def standardized_feed_asset(feed: str) -> str:
    """Name of the asset of one feed's standardised partitions (``customs_standardized_orders``)."""
    return f"customs_standardized_{feed}"
