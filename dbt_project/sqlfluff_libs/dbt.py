"""Stand-ins for dbt's cross-database macros (`dbt.*`) under sqlfluff's jinja templater."""


def safe_cast(field: str, type: str) -> str:
    return f"try_cast({field} as {type})"


def type_string() -> str:
    return "varchar"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def dateadd(datepart: str, interval: int, from_date_or_timestamp: str) -> str:
    return f"{from_date_or_timestamp} + interval {interval} {datepart}"


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def position(substring_text: str, string_text: str) -> str:
    return f"position({substring_text} in {string_text})"


def split_part(string_text: str, delimiter_text: str, part_number: int) -> str:
    return f"split_part({string_text}, {delimiter_text}, {part_number})"
