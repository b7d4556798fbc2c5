"""CSV exports a spreadsheet opens safely."""


def csv_safe(value: str) -> str:
    """The cell as text: one starting with = + - @ would run as a formula in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
