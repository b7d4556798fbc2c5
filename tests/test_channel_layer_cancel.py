"""The channel layer's receive ends when its task is cancelled, wherever the cancel lands: on
Python 3.11 asyncio.wait_for (around redis-py's writes) drops a cancel that arrives as its write
completes, and channels_redis's receive then waited for messages forever (a closed socket's
consumer never ended, nor the event loop shutting down behind it)."""

import asyncio

from django.conf import settings

from faceapp.channel_layer import OutageTolerantChannelLayer
from tests.event_loops import run_scenario

TIMEOUT = 30  # a deadline for slow machines, not a timing assertion
EVENT_LOOP_TURNS = 40  # the cancel lands after 0, 1, ... turns: some inside a write's wait_for


def test_it_ends_a_receive_cancelled_after_any_number_of_event_loop_turns():
    async def scenario():
        layer = OutageTolerantChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
        layer.brpop_timeout = 1  # a dropped cancel is seen when the blocking pop returns: sooner
        stuck = []
        for turns in range(EVENT_LOOP_TURNS):
            receiving = asyncio.ensure_future(layer.receive(await layer.new_channel()))
            for _ in range(turns):
                await asyncio.sleep(0)
            receiving.cancel()
            done, _ = await asyncio.wait([receiving], timeout=TIMEOUT)
            if not done:
                stuck.append(turns)
        return stuck

    assert run_scenario(scenario) == []
