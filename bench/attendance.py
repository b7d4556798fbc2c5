"""The register at a school's or a company's size: 2,000 people in 60 groups (a class of two
sessions a day, Monday to Friday), 30 days of generated visits (an IN at the entrance, an OUT at
the exit, a few late, a few absent), in a fresh SQLite database (or DATABASE_URL's).

Measured, each the median of --repeat runs:
- one visit's attendance update (identity's `visit_opened` event through attendance's receiver:
  the event written, the person's days derived again): wall time and queries, for a person in
  a group of 33 and again once the site holds 2,000 people (the query count must not grow);
- a group's month sheet (attendance.sheets.month_sheet + its table) and the summary of every
  group over the month: wall time and queries;
- a full day's recomputation for everyone (attendance.register.day_derive_all).

    .venv/bin/python bench/attendance.py                    # 2,000 people, 60 groups, 30 days
    .venv/bin/python bench/attendance.py --people 200 --groups 6 --days 5   # quick
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _django(data_dir: str) -> None:
    os.environ.setdefault("FACEAPP_DATA_DIR", data_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")
    os.environ.setdefault("FACEAPP_TIME_ZONE", "Europe/Berlin")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from faceapp.embedded_valkey import start_valkey

    if settings.EMBEDDED_VALKEY:  # the receivers push to the dashboards through it
        valkey = start_valkey(settings.VALKEY_SOCKET, persist=False)
        atexit.register(valkey.terminate)  # else it outlives the bench, holding its output open
    call_command("migrate", verbosity=0)


def _site(people: int, groups: int, first_day: dt.date, days: int, seed: int):
    from attendance.models import AttendanceEvent, CameraRole, Group, Schedule, ScheduleSession
    from identity.models import Camera, Person

    rng = random.Random(seed)
    entrance, exit_ = Camera.objects.create(name="Entrance"), Camera.objects.create(name="Exit")
    CameraRole.objects.create(camera=entrance, role=CameraRole.ENTRY)
    CameraRole.objects.create(camera=exit_, role=CameraRole.EXIT)
    enrolled = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Person.objects.bulk_create(Person(name=f"Person {number:05d}", created_at=enrolled) for number in range(people))
    everyone = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    zone = __import__("zoneinfo").ZoneInfo(os.environ["FACEAPP_TIME_ZONE"])
    group_rows = []
    for number in range(groups):
        group = Group.objects.create(name=f"Class {number:02d}")
        schedule = Schedule.objects.create(group=group, starts_on=first_day, grace_late=5, absent_after=30)
        ScheduleSession.objects.bulk_create(
            ScheduleSession(schedule=schedule, weekday=weekday, start=start, end=end)
            for weekday in range(5) for start, end in ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(15))))
        members = everyone[number::groups]
        group.members.add(*members)
        group_rows.append((group, members))
    events = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for person in everyone:
            if rng.random() < 0.05:
                continue  # absent
            arrive = dt.datetime.combine(day, dt.time(7, 30), tzinfo=zone) + dt.timedelta(minutes=rng.randint(0, 45))
            leave = dt.datetime.combine(day, dt.time(15), tzinfo=zone) + dt.timedelta(minutes=rng.randint(-30, 30))
            events.append(AttendanceEvent(person_id=person, at=arrive, kind=AttendanceEvent.IN, camera=entrance))
            events.append(AttendanceEvent(person_id=person, at=leave, kind=AttendanceEvent.OUT, camera=exit_))
    AttendanceEvent.objects.bulk_create(events, batch_size=5000)
    return entrance, group_rows


def _measured(work, repeat: int) -> tuple[float, int]:
    """(median seconds, queries of the last run) of `work()`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
        queries = len(captured)
    return statistics.median(times), queries


def _visit(person_id: int, camera_id: int, at: dt.datetime):
    """A new visit of the person at each call (a minute later each time: never one already written)."""
    from django.db import transaction

    from identity import events
    from identity.events import Sighting

    calls = iter(range(10_000))

    def work() -> None:
        seen_at = at + dt.timedelta(minutes=next(calls))
        with transaction.atomic():
            events.send_on_commit(events.visit_opened, sighting=Sighting(person_id, seen_at, camera_id, None))

    return work


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=60)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    _django(tempfile.mkdtemp(prefix="faceapp-bench-attendance-"))

    from attendance.exports import month_sheet_table
    from attendance.register import day_derive_all
    from attendance.sheets import month_sheet, period_summary

    first_day = dt.date(2026, 11, 1)
    built = time.perf_counter()
    entrance, groups = _site(args.people, args.groups, first_day, args.days, args.seed)
    last_day = first_day + dt.timedelta(days=args.days - 1)
    derive_seconds = []
    for offset in range(args.days):
        started = time.perf_counter()
        day_derive_all(day=first_day + dt.timedelta(days=offset))
        derive_seconds.append(time.perf_counter() - started)
    setup = time.perf_counter() - built

    group, members = groups[0]
    seen_at = dt.datetime.combine(last_day, dt.time(16, 30), tzinfo=dt.UTC)  # a visit after school
    visit = _measured(_visit(members[0], entrance.pk, seen_at), args.repeat)
    sheet = _measured(lambda: month_sheet_table(month_sheet(group=group, year=first_day.year,
                                                            month=first_day.month)), args.repeat)
    all_groups = [group for group, _ in groups]
    summary = _measured(lambda: period_summary(groups=all_groups, first_day=first_day, last_day=last_day),
                        args.repeat)
    weekday = next(first_day + dt.timedelta(days=n) for n in range(7) if (first_day + dt.timedelta(days=n)).weekday() < 5)
    full_day = _measured(lambda: day_derive_all(day=weekday), 1)
    result = {
        "people": args.people, "groups": args.groups, "days": args.days, "setup_seconds": round(setup, 1),
        "visit_update": {"seconds": round(visit[0], 4), "queries": visit[1]},
        "month_sheet": {"seconds": round(sheet[0], 3), "queries": sheet[1], "people": len(members)},
        "summary_all_groups": {"seconds": round(summary[0], 3), "queries": summary[1]},
        "full_day_recompute": {"seconds": round(full_day[0], 2), "queries": full_day[1]},
        "derive_day_median_seconds": round(statistics.median(derive_seconds), 2),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
