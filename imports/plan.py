"""What an import holds, from its file list and optional CSV (plain Python, no Django): one
entry per person with their photos. A photo's person is its folder's name, or, for a photo at
the top, its file name without the trailing number (LFW's Ada_Lovelace_0001.jpg is Ada Lovelace).
The CSV's optional `groups` column names the register's groups each person joins (`;` or `|` between)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import PurePosixPath

PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
YES, NO = {"yes", "y", "true", "1", "oui", "ja"}, {"no", "n", "false", "0", "non", "nein"}


@dataclass
class Entry:
    name: str
    code: str | None = None
    consent: bool | None = None  # None: the import's own consent says
    photos: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # the register's groups they join (the CSV's `groups`)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Plan:
    entries: list[Entry]
    problems: list[dict]  # report lines found before any photo is read
    group_lines: dict[str, list[int]] = field(default_factory=dict)  # each group named in the CSV: its lines


def _hidden(path: PurePosixPath) -> bool:
    return any(part.startswith((".", "__MACOSX")) for part in path.parts)


def person_of(path: str) -> str | None:
    """The person a file belongs to by where it is or what it is called; None for a loose file
    that is not a photo (nobody to give it to)."""
    pure = PurePosixPath(path)
    if len(pure.parts) >= 2:
        raw = pure.parts[-2]
    elif pure.suffix.lower() in PHOTO_EXTENSIONS:
        raw = re.sub(r"[_\s-]*\d+$", "", pure.stem)
    else:
        return None
    name = " ".join(raw.replace("_", " ").split())
    return name or None


def _consent(text: str) -> bool | None:
    value = (text or "").strip().lower()
    return True if value in YES else False if value in NO else None


def plan_from(files: list[str], csv_text: str | None = None) -> Plan:
    """Entries in a stable order (the CSV's first, then the folders' by name) and early problems."""
    problems: list[dict] = []
    by_person: dict[str, list[str]] = {}
    for path in sorted(files):
        pure = PurePosixPath(path)
        if _hidden(pure) or path.lower().endswith(".csv"):
            continue
        name = person_of(path)
        if name is None:
            problems.append({"kind": "not_a_photo", "photo": path, "detail": "not a photo, and in no person's folder"})
            continue
        by_person.setdefault(name, []).append(path)
    entries: list[Entry] = []
    group_lines: dict[str, list[int]] = {}
    if csv_text:
        by_basename = {PurePosixPath(path).name: path for paths in by_person.values() for path in paths}
        for number, row in enumerate(csv.DictReader(io.StringIO(csv_text)), start=2):
            row = {(key or "").strip().lower(): (value or "").strip() for key, value in row.items()}
            name = " ".join(row.get("name", "").split())
            if not name:
                problems.append({"kind": "csv", "detail": f"line {number}: no name"})
                continue
            listed = [part.strip() for part in re.split(r"[;|]", row.get("photos", "")) if part.strip()]
            photos = [by_basename[photo] for photo in listed if photo in by_basename]
            problems += [{"kind": "missing_photo", "person": name, "photo": photo, "detail": "listed in the CSV, "
                          "not in the import"} for photo in listed if photo not in by_basename]
            photos = photos if listed else by_person.get(name, [])
            groups = list(dict.fromkeys(" ".join(part.split()) for part in re.split(r"[;|]", row.get("groups", ""))
                                        if part.strip()))
            for group in groups:
                group_lines.setdefault(group, []).append(number)
            entries.append(Entry(name=name, code=row.get("code") or None, consent=_consent(row.get("consent", "")),
                                 photos=photos, groups=groups))
            by_person.pop(name, None)
            for photo in photos:  # a photo listed for one person belongs to no other
                for others in by_person.values():
                    if photo in others:
                        others.remove(photo)
    entries += [Entry(name=name, photos=photos) for name, photos in sorted(by_person.items()) if photos]
    return Plan(entries=entries, problems=problems, group_lines=group_lines)
