"""The channel layer: channels_redis's, made to wait out a Redis outage.

Its receive raises while Redis is away, which would end every open socket, and a Redis without
persistence comes back having forgotten every group member. This layer's receive waits the
outage out instead, then joins that channel's groups again (the ones joined and not left through
this layer). CHANNEL_LAYERS names it as the backend: Channels' supported place for this.

A cancelled socket's receive ends, even on Python 3.11: there asyncio.wait_for (around each of
redis-py's writes when a socket timeout is set) drops a cancel that lands as the write completes
(CPython gh-86296), and channels_redis's receive then waits for the next message forever, the
loop's shutdown with it. Each layer call looks for a cancel that was asked and dropped.
"""

import asyncio
import logging
import weakref
from collections import defaultdict

from channels_redis.core import RedisChannelLayer
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What a Redis outage raises: redis-py's errors, or the socket's own OSError.
LAYER_ERRORS = (RedisError, OSError)
RECONNECT_DELAY_SECONDS = 1.0
# redis-py's pool refuses a process more than 100 connections at once ("Too many connections"):
# group calls take turns, so 300 sockets closing (or joining again) at once all get through.
GROUP_CALLS_AT_ONCE = 32
_group_call_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


def _group_call_slot() -> asyncio.Semaphore:
    """This event loop's semaphore (one belongs to one loop; the tests run several)."""
    loop = asyncio.get_running_loop()
    if loop not in _group_call_slots:
        _group_call_slots[loop] = asyncio.Semaphore(GROUP_CALLS_AT_ONCE)
    return _group_call_slots[loop]


def raise_if_cancel_dropped() -> None:
    """A task asked to cancel stops here, if Python 3.11's wait_for dropped the CancelledError."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


class OutageTolerantChannelLayer(RedisChannelLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._joined: defaultdict[str, set[str]] = defaultdict(set)  # channel -> its groups

    async def group_add(self, group: str, channel: str) -> None:
        self._joined[channel].add(group)
        async with _group_call_slot():
            await super().group_add(group, channel)
        raise_if_cancel_dropped()

    async def group_discard(self, group: str, channel: str) -> None:
        groups = self._joined.get(channel)
        if groups is not None:
            groups.discard(group)
            if not groups:
                del self._joined[channel]
        async with _group_call_slot():
            await super().group_discard(group, channel)
        raise_if_cancel_dropped()

    async def _brpop_with_clean(self, index, channel, timeout):
        # channels_redis's receive calls this in a loop until a message comes: each turn ends here
        # for a cancelled task. A message popped meanwhile stays in its backup queue.
        popped = await super()._brpop_with_clean(index, channel, timeout)
        raise_if_cancel_dropped()
        return popped

    async def receive(self, channel: str) -> dict:
        while True:
            try:
                return await super().receive(channel)
            except LAYER_ERRORS as exc:
                logger.warning("channel layer unreachable (%s); %s waits for it", exc, channel)
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)
            await self._join_again(channel)

    async def _join_again(self, channel: str) -> None:
        try:
            for group in list(self._joined.get(channel, ())):
                async with _group_call_slot():
                    await super().group_add(group, channel)
                if group not in self._joined.get(channel, ()):  # left meanwhile: its ZREM may have gone first
                    async with _group_call_slot():
                        await super().group_discard(group, channel)
        except LAYER_ERRORS:
            pass  # still away: the next try comes soon
