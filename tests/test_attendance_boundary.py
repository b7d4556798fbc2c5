"""identity never imports attendance: attendance learns from identity's domain events
(identity.events), so identity's modules name no module of the attendance app."""

import ast
from pathlib import Path

from django.conf import settings

IDENTITY = Path(settings.BASE_DIR) / "identity"


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            names += [arg.value for arg in node.args[:1] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    return names


def test_it_finds_no_import_of_attendance_in_identity():
    modules = sorted(IDENTITY.rglob("*.py"))
    offending = [f"{path.relative_to(IDENTITY.parent)}: {name}" for path in modules
                 for name in _imported_modules(path) if name == "attendance" or name.startswith("attendance.")]
    assert len(modules) > 50 and offending == []


def test_it_would_see_an_import_of_attendance(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from attendance.services import attendance_mark\nimport attendance.models as m\n"
                      "from django.utils.module_loading import import_module\nimport_module('attendance.selectors')\n")
    assert [name for name in _imported_modules(sneaky) if name.startswith("attendance")] == [
        "attendance.services", "attendance.services.attendance_mark", "attendance.models", "attendance.selectors"]
