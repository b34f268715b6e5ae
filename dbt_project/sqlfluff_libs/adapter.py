"""Stand-ins for dbt's `adapter` object when sqlfluff renders models with its jinja templater.

Only what the project's SQL uses; each renders to SQL that parses like the real output.
"""

from collections.abc import Callable


def dispatch(macro_name: str, macro_namespace: str | None = None) -> Callable[..., str]:
    """A dispatched macro renders as a plain function call of the same name."""

    def render(*args: object) -> str:
        return f"{macro_name}({', '.join(str(arg) for arg in args)})"

    return render


def quote(identifier: str) -> str:
    return f'"{identifier}"'
