"""Slowing down one user who sends too many messages, without affecting anyone else."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum


class Verdict(StrEnum):
    ACCEPT = "accept"  # answer as usual
    SLOW_DOWN = "slow_down"  # just went over the limit: tell them once
    IGNORE = "ignore"  # still over the limit: neither answered nor logged


class FloodGuard:
    """Counts each user's accepted messages over a sliding window.

    A user with `limit` messages accepted in the last `window` seconds is over the limit until the
    oldest of them is `window` seconds old. Ignored messages are not counted, so a user who keeps
    sending is answered again as soon as the minute has passed.
    """

    def __init__(
        self,
        limit: int = 20,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = limit
        self.window = window
        self._clock = clock
        self._accepted: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._last_sweep = clock()

    def check(self, user_id: int) -> Verdict:
        """Count one message from `user_id` and say how to treat it."""
        now = self._clock()
        self._sweep(now)
        times = self._accepted.setdefault(user_id, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user_id)
            return Verdict.ACCEPT
        if user_id in self._warned:
            return Verdict.IGNORE
        self._warned.add(user_id)
        return Verdict.SLOW_DOWN

    def _sweep(self, now: float) -> None:
        """Forget users who have been quiet for a whole window, so memory stays small."""
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        quiet = [user for user, times in self._accepted.items() if times[-1] <= now - self.window]
        for user in quiet:
            del self._accepted[user]
            self._warned.discard(user)
