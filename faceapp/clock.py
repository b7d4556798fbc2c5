"""One clock: every page, export and attendance day is in the site's time zone (TIME_ZONE, from
FACEAPP_TIME_ZONE, else the machine's own zone), written the same way: 2026-12-02 14:03:07.
A user may read their pages in a zone of their own (their profile); days stay the site's."""

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

DATETIME_TEXT = "%Y-%m-%d %H:%M:%S"


def machine_time_zone() -> str:
    """The machine's zone name (TZ, /etc/timezone or /etc/localtime's link), else UTC."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    timezone_file = Path("/etc/timezone")
    if timezone_file.is_file():
        candidates.append(timezone_file.read_text().strip())
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        candidates.append(str(localtime.resolve()).partition("zoneinfo/")[2])
    for name in candidates:
        try:
            if name:
                ZoneInfo(name)
                return name
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return "UTC"


def site_date(when: dt.datetime | None = None) -> dt.date:
    """The site's calendar day of `when` (now when None): attendance days are the site's, whatever
    zone a user reads their pages in."""
    return timezone.localdate(when, timezone=timezone.get_default_timezone())


def site_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of one of the site's calendar days, as aware datetimes."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min), zone)
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), zone)


def clock_text(value: dt.datetime | None) -> str:
    """A moment as the pages write it, in the active zone (exports too): 2026-12-02 14:03:07+01:00."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return local.strftime(DATETIME_TEXT) + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]


def clock_context(request) -> dict:
    """The zone the page's script writes times in (the same one the server renders with)."""
    return {"site_time_zone": timezone.get_current_timezone_name()}
