"""A month in a URL, written YYYY-MM (2026-10): the first day of that month, or no match (404)."""

import datetime as dt

from django.urls import register_converter

FIRST_YEAR, LAST_YEAR = 1000, 9998  # a month's days, their bounds and neighbours stay inside Python's dates


class MonthConverter:
    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        year, month = (int(part) for part in value.split("-"))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(value)  # no match: 404
        return dt.date(year, month, 1)  # month 13 is a ValueError too

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else value.strftime("%Y-%m")


register_converter(MonthConverter, "month")  # once per process: the pages' and the API's URLs both name it
