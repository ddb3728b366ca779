"""The background loops' pause: until stopped, woken, or the interval is over."""

from __future__ import annotations

import asyncio
import contextlib


async def pause(stopping: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    """Return when `stopping` or `wake` is set, or after `seconds`; clears `wake` first."""
    wake.clear()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            stopped = asyncio.create_task(stopping.wait())
            woken = asyncio.create_task(wake.wait())
            try:
                await asyncio.wait({stopped, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopped.cancel()
                woken.cancel()
