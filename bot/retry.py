"""Trying Bot API requests again after network errors, timeouts, 5xx and 429 answers.

python-telegram-bot passes every request except getUpdates (which its updater retries itself)
through the application's rate limiter, so that is where this lives. PTB's own AIORateLimiter
needs an extra dependency, retries only on 429, and with its default of no retries drops the
reply; replies here are few and answer what residents just asked, so there is nothing to
throttle in advance: the limiter only reacts.

A retried sendMessage whose first attempt timed out after reaching Telegram may arrive twice;
a duplicate answer is better than a lost one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

# Longest wait between two attempts after a network error or 5xx.
MAX_BACKOFF = 30.0


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asked us to wait, whichever type this PTB version reports it as."""
    with warnings.catch_warnings():
        # PTB 22 warns that the int form is deprecated; both forms are handled here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_transient(error: Exception) -> bool:
    """Worth trying again: the request may succeed later (BadRequest never will)."""
    return isinstance(error, RetryAfter | TimedOut) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


class RetryingRateLimiter(BaseRateLimiter[int]):
    """Sends each request at once and tries it again, up to `attempts` times in all, on failure.

    A 429 pauses every request until Telegram's `retry_after` has passed (flood control applies to
    the whole bot); other transient errors back off exponentially from `backoff` seconds.
    """

    def __init__(
        self,
        attempts: int = 6,
        backoff: float = 1.0,
    ):
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self._resume_at = 0.0  # time.monotonic() before which no request is sent
        self._hurry = asyncio.Event()

    def hurry(self) -> None:
        """The bot is stopping: stop waiting, give each pending request one last try now."""
        self._hurry.set()

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        attempts = rate_limit_args or self.attempts
        for attempt in range(1, attempts + 1):
            await self._wait_for_flood_control()
            try:
                return await callback(*args, **kwargs)
            except Exception as error:
                if not is_transient(error) or attempt == attempts or self._hurry.is_set():
                    raise
                delay = self._delay_after(error, attempt)
                logger.warning(
                    "event=retry endpoint=%s attempt=%d error=%s wait=%.2f",
                    endpoint,
                    attempt,
                    type(error).__name__,
                    delay,
                )
                if not isinstance(error, RetryAfter):
                    await self._pause(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _delay_after(self, error: Exception, attempt: int) -> float:
        if isinstance(error, RetryAfter):
            # A little extra so the retry does not arrive a hair too early.
            wait = retry_after_seconds(error) + 0.1
            self._resume_at = max(self._resume_at, time.monotonic() + wait)
            return wait
        delay = min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1))
        return delay * random.uniform(0.8, 1.2)  # jitter: retries from many chats spread out

    async def _wait_for_flood_control(self) -> None:
        while (remaining := self._resume_at - time.monotonic()) > 0 and not self._hurry.is_set():
            await self._pause(remaining)

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the bot starts stopping meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._hurry.wait(), seconds)
