"""ws/groups/<group_id>/register/: a group's daily register, live (`register.rows` events from
attendance.register_live). Joined by whoever may read the group (operators and admins, a viewer
responsible for it); anyone else is closed with 4403, as identity's sockets refuse, and checked
again at each re-join: a viewer no longer responsible loses the socket within one period."""

from channels.db import database_sync_to_async

from attendance.access import groups_visible_to
from attendance.register_live import register_group
from identity.consumers import _GroupConsumer
from identity.roles import VIEWER


@database_sync_to_async
def _may_read(user, group_id: int) -> bool:
    return user is not None and groups_visible_to(user).filter(pk=group_id).exists()


class RegisterConsumer(_GroupConsumer):
    role = VIEWER

    def groups_to_join(self) -> list[str]:
        return [register_group(self.scope["url_route"]["kwargs"]["group_id"])]

    async def connect(self) -> None:
        if not await _may_read(self.scope.get("user"), self.scope["url_route"]["kwargs"]["group_id"]):
            return await self.refuse()
        await super().connect()

    async def still_allowed(self) -> bool:
        return await super().still_allowed() and await _may_read(
            self.scope.get("user"), self.scope["url_route"]["kwargs"]["group_id"])

    async def register_rows(self, event: dict) -> None:
        await self.send_json(event)
