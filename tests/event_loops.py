"""Running async test scenarios from sync tests, each on its own event loop and channel layer."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import channel_layers

LEFTOVER_SECONDS = 30  # a deadline for slow machines, not a timing assertion


def run_scenario(scenario):
    """Run `scenario()` (a coroutine function) to its end on a new loop and return its result."""
    # channels_redis keeps per-channel asyncio locks on the layer object; a loop that ends while a
    # receive's backup cleaner is pending leaves one held and bound to that loop, and the next loop
    # that receives on the same layer waits on it forever: each loop gets a layer of its own.
    channel_layers.backends.clear()

    async def scenario_then_leftovers():
        result = await scenario()
        await _end_leftovers()
        return result

    return async_to_sync(scenario_then_leftovers)()


async def _end_leftovers() -> None:
    """Cancel what the scenario left running (a consumer never disconnected) and wait for it: a
    task that ignores its cancel fails the test, named, instead of hanging the loop's shutdown."""
    this = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not this]
    for task in leftovers:
        task.cancel()
    if leftovers:
        _, pending = await asyncio.wait(leftovers, timeout=LEFTOVER_SECONDS)
        assert not pending, f"tasks that ignored their cancel: {pending}"
