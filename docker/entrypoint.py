"""The image's entrypoint: `ROLE [ARGS]` runs that part of faceapp in this container (the roles
of identity/services/stack_roles.py, and `migrate`); anything else is run as given
(`docker run IMAGE python manage.py shell`)."""

import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(APP))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "faceapp.settings")

from identity.services.stack_roles import ROLE_COMMANDS, database_ready  # noqa: E402  (after the path)


def main(argv: list[str]) -> None:
    role, *rest = argv or ["all-in-one"]
    if role not in ROLE_COMMANDS and role != "migrate":
        os.execvp(role, [role, *rest])
    import django

    os.chdir(APP)
    django.setup()
    if role == "migrate":
        # Once per install before the other roles: the admin's password is printed here, once.
        return database_ready(write=print)
    command = [*ROLE_COMMANDS[role](), *rest]
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
