"""The site's navigation: a few sections (Live, People, Review, Attendance, Settings), each a menu of
the pages a user's role may open; a section with one page left is a plain link, one with none is
not shown. The base layout renders it (a context processor, built only when a page shows it)."""

from dataclasses import dataclass

from django.urls import reverse

from attendance.access import may_see_groups
from identity.roles import ADMIN, OPERATOR, ROLES, VIEWER, has_role


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class NavSection:
    label: str
    links: list[NavLink]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


# (label, url name, the url names it stands for (prefixes ending in "-" or whole names), who may open it)
_GROUPS = "groups"  # operators, and viewers responsible for a group (attendance.access.may_see_groups)
SECTIONS: list[tuple[str, list[tuple[str, str, tuple[str, ...], str]]]] = [
    ("Live", [
        ("Dashboard", "dashboard", ("dashboard",), VIEWER),
        ("Cameras", "camera-list", ("camera-",), OPERATOR),
        ("Recognise photos", "upload", ("upload", "snapshot-"), OPERATOR),
        ("Search by photo", "face-search", ("face-search",), OPERATOR),
        ("Compare", "compare", ("compare",), OPERATOR),
    ]),
    ("People", [
        ("People", "person-list", ("person-", "sample-"), OPERATOR),
        ("Strangers", "stranger-list", ("stranger-",), OPERATOR),
        ("Duplicates", "duplicate-list", ("duplicate-",), OPERATOR),
        ("Import", "import-list", ("import-",), OPERATOR),
    ]),
    ("Review", [
        ("Review queue", "review-queue", ("review-queue", "review-item", "review-decide"), OPERATOR),
        ("Recognition history", "review-history", ("review-history",), OPERATOR),
    ]),
    ("Attendance", [
        ("Today", "attendance-today", ("attendance-",), OPERATOR),
        ("Register", "register-summary", ("register-",), _GROUPS),
        ("Groups", "group-list", ("group-", "schedule-", "closure-", "code-", "absence-"), _GROUPS),
    ]),
    ("Settings", [
        ("Users", "user-list", ("user-",), ADMIN),
        ("Integrations", "webhook-list", ("webhook-", "alert-"), ADMIN),
        ("Calibration", "calibration", ("calibration",), ADMIN),
        ("Audit log", "audit-log", ("audit-log",), ADMIN),
        ("Admin", "admin:index", (), ADMIN),
    ]),
]


def _stands_for(url_name: str, names: tuple[str, ...]) -> bool:
    return any(url_name.startswith(name) if name.endswith("-") else url_name == name for name in names)


def nav_sections(*, user, url_name: str) -> list[NavSection]:
    """The sections `user` sees, each with the links their role may open; `url_name` marks the current one."""
    allowed = {role: has_role(user, role) for role in ROLES}
    allowed[_GROUPS] = may_see_groups(user)
    sections = []
    for label, entries in SECTIONS:
        links = [NavLink(name, reverse(route), _stands_for(url_name, names))
                 for name, route, names, role in entries if allowed[role]]
        if links:
            sections.append(NavSection(label, links))
    return sections


def navigation_context(request) -> dict:
    """`nav_sections` for the base layout, built only if the page renders it (a callable)."""
    match = getattr(request, "resolver_match", None)
    url_name = (match.url_name or "") if match is not None else ""
    return {"nav_sections": lambda: nav_sections(user=request.user, url_name=url_name)}
