"""Every app's rows as Django serialises them (as dumpdata/loaddata do): one JSON line a row, one file
a model, in dependency order. Portable, so a SQLite backup restores into PostgreSQL and back; read
in one read transaction (SQLite's WAL snapshot, PostgreSQL's REPEATABLE READ), so rows written
during a backup are in it whole or not at all."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

# Rows a fresh install already has (post_migrate's content types and permissions, data migrations'
# groups and attendance codes): an install holding only these is empty.
SEEDED = {"contenttypes.contenttype", "auth.permission", "auth.group", "attendance.attendancecode"}


def backup_models() -> list:
    """Every concrete model with a table of its own, parents before the rows that point at them."""
    app_list = [(config, None) for config in apps.get_app_configs() if config.models_module is not None]
    ordered = serializers.sort_dependencies(app_list, allow_cycles=True)
    return [model for model in ordered if model._meta.managed and not model._meta.proxy]


def member_name(model) -> str:
    return f"db/{model._meta.label_lower}.jsonl"


@contextlib.contextmanager
def consistent_source() -> Iterator[str]:
    """The database alias to read from, inside one read transaction: every read sees one moment.
    On SQLite a plain (deferred) BEGIN: in WAL mode its snapshot starts at the first read and holds
    no writer back (Django's atomic() would BEGIN IMMEDIATE and stop the workers' writes meanwhile)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.in_atomic_block:  # the caller's transaction already reads one moment
        yield DEFAULT_DB_ALIAS
    elif connection.vendor != "sqlite":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield DEFAULT_DB_ALIAS
    else:
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
            cursor.execute("SELECT COUNT(*) FROM django_migrations")  # the snapshot starts here
        try:
            yield DEFAULT_DB_ALIAS
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")


def rows_dump(model, *, using: str, path: Path) -> int:
    """The model's rows, by primary key, as JSON lines into `path`; how many."""
    count = 0

    def counted(rows):
        nonlocal count
        for row in rows:
            count += 1
            yield row

    rows = model._base_manager.using(using).order_by(model._meta.pk.attname).iterator(chunk_size=1000)
    with path.open("w", encoding="utf-8") as stream:
        serializers.serialize("jsonl", counted(rows), stream=stream)
    return count


def migrations_applied(*, using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def migrations_of_the_code() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def rows_outside_seed() -> dict[str, int]:
    """{model: rows} of what this install holds beyond a fresh install's rows."""
    counts = {model._meta.label: model._base_manager.count() for model in backup_models()
              if model._meta.label_lower not in SEEDED}
    return {label: count for label, count in counts.items() if count}


def rows_counts() -> dict[str, int]:
    return {model._meta.label_lower: model._base_manager.count() for model in backup_models()}


def rows_replace(files: list[tuple[str, Path]]) -> None:
    """Every table emptied, then the files' rows loaded with their own ids, in one transaction
    (a reader sees the old install or the restored one); PostgreSQL's id sequences moved past them."""
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        deferred = []
        with connection.constraint_checks_disabled():
            for _label, path in files:
                with path.open(encoding="utf-8") as stream:
                    for row in serializers.deserialize("jsonl", stream, handle_forward_references=True):
                        row.save()
                        if row.deferred_fields:
                            deferred.append(row)
            for row in deferred:
                row.save_deferred_fields()
        connection.check_constraints()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), backup_models()):
                cursor.execute(statement)
