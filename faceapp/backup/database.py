"""Every app's rows as Django serialises them (as dumpdata/loaddata do): one JSON line a row, one file
a model, in dependency order. Portable, so a SQLite backup restores into PostgreSQL and back; read
in one read transaction (SQLite's WAL snapshot, PostgreSQL's REPEATABLE READ), so rows written
during a backup are in it whole or not at all."""

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Deserializer as JsonlDeserializer
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from faceapp.backup.archive import ArchiveRefused

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


class _ExactEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o):
        if isinstance(o, dt.datetime | dt.time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


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
        serializers.serialize("jsonl", counted(rows), stream=stream, cls=_ExactEncoder)
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


def database_is_new() -> bool:
    """No table at all: a database never migrated."""
    return not connections[DEFAULT_DB_ALIAS].introspection.table_names()


def migrate_to(applied: set[tuple[str, str]]):
    """Migrate a new database to exactly the `applied` migrations (an older faceapp's); the models
    of that state, whose rows an older archive holds."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    graph = executor.loader.graph
    named = [node for node in applied
             if not any(child in applied for child in graph.node_map[node].children if child[0] == node[0])]
    unborn = [(app, None) for app in {app for app, _ in graph.nodes} - {app for app, _ in applied}]
    executor.migrate(named + unborn)
    return executor.loader.project_state(named).apps


class _Deserializer(JsonlDeserializer):
    """JSON lines read into the models of a migration state (an older archive's), not the code's."""

    def __init__(self, stream, *, models, **options):
        self._models = models
        super().__init__(stream, **options)

    def _get_model_from_node(self, model_identifier):
        try:
            return self._models.get_model(model_identifier)
        except (LookupError, TypeError):
            raise DeserializationError(f"Invalid model identifier: {model_identifier}") from None


def rows_replace(files: list[tuple[str, Path, int]], *, models=None) -> None:
    """Every table emptied, then the files' rows (model, file, how many) loaded with their own ids
    (into `models`, a migration state's, else the code's), in one transaction (a reader sees the old
    install or the restored one, and a refusal leaves the old one); PostgreSQL's id sequences moved
    past them."""
    connection = connections[DEFAULT_DB_ALIAS]
    known = models.get_models() if models is not None else backup_models()
    unknown = sorted({label for label, _path, _rows in files} - {model._meta.label_lower for model in known})
    if unknown:
        raise ArchiveRefused(f"the archive holds rows of models this faceapp lacks: {', '.join(unknown)}")
    loaded: dict[str, int] = {}
    with transaction.atomic():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        deferred = []
        with connection.constraint_checks_disabled():
            for label, path, _rows in files:
                loaded[label] = 0
                with path.open(encoding="utf-8") as stream:
                    try:
                        for row in _Deserializer(stream, models=models or apps, handle_forward_references=True):
                            row.save()
                            loaded[label] += 1
                            if row.deferred_fields:
                                deferred.append(row)
                    except DeserializationError as error:
                        raise ArchiveRefused(f"the rows of {label} do not fit this faceapp's: {error}") from None
            for row in deferred:
                row.save_deferred_fields()
        wrong = [label for label, _path, rows in files if loaded[label] != rows]
        if wrong:
            raise ArchiveRefused(f"the rows loaded differ in number from the manifest's: {', '.join(wrong)}")
        connection.check_constraints()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), known):
                cursor.execute(statement)
