"""The dbt docs of the warehouse as a static site for analysts: ``CUSTOMS_HOME/dbt_docs/index.html``.

``dbt docs generate --static`` writes one self-contained page (manifest and catalog inlined),
which opens from the file system without a server. It reads the catalog (tables, columns, types,
row counts) from the build file, so, like a build, it runs only while no build runs: after
``publish`` (the demo runs it then; ``python -m customs.dbt_docs``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

from customs.settings import Settings, load_settings
from customs.warehouse import DBT_PROJECT_DIR, dbt_command, dbt_environment


class DbtDocsError(RuntimeError):
    """``dbt docs generate`` failed; the message holds dbt's last output lines."""


def generate_docs(settings: Settings) -> tuple[str, float]:
    """Generate the static site; returns (path of index.html, seconds)."""
    site = settings.dbt_docs_dir
    work = site.with_name(f".{site.name}.tmp")
    shutil.rmtree(work, ignore_errors=True)
    started = time.monotonic()
    env = dbt_environment(settings) | {"DBT_TARGET_PATH": str(work)}
    completed = subprocess.run(
        [
            *dbt_command(),
            "docs",
            "generate",
            "--static",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    static = work / "static_index.html"
    if completed.returncode != 0 or not static.exists():
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-15:])
        shutil.rmtree(work, ignore_errors=True)
        raise DbtDocsError(f"dbt docs generate failed (exit {completed.returncode}):\n{tail}")
    site.mkdir(parents=True, exist_ok=True)
    # Keep only the self-contained page and the JSON it was made from.
    for name in ("manifest.json", "catalog.json"):
        if (work / name).exists():
            (work / name).replace(site / name)
    static.replace(site / "index.html")
    shutil.rmtree(work, ignore_errors=True)
    return str(site / "index.html"), time.monotonic() - started


def main() -> None:
    try:
        path, seconds = generate_docs(load_settings())
    except DbtDocsError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(f"dbt docs: {path} ({seconds:.0f}s)")


if __name__ == "__main__":
    main()
