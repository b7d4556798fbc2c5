"""Running async test scenarios from sync tests, each on its own event loop and channel layer."""

from asgiref.sync import async_to_sync
from channels.layers import channel_layers


def run_scenario(scenario):
    """Run `scenario()` (a coroutine function) to its end on a new loop and return its result."""
    # channels_redis keeps per-channel asyncio locks on the layer object; a loop that ends while a
    # receive's backup cleaner is pending leaves one held and bound to that loop, and the next loop
    # that receives on the same layer waits on it forever: each loop gets a layer of its own.
    channel_layers.backends.clear()
    return async_to_sync(scenario)()
