"""Stand-in for dbt's `api` object when sqlfluff renders models with its jinja templater."""


class Column:
    @staticmethod
    def translate_type(dtype: str) -> str:
        return dtype
