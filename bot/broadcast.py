"""Sends the outbox's alerts at close to Telegram's rate, whatever carries them.

`Broadcaster` takes any `async send(chat_id, text) -> SendResult`: the Telegram front end turns
its errors into a `SendResult`, so nothing here knows about Telegram. A 429 pauses every send for
retry_after.

How 429s are avoided. Telegram counts a message when it arrives and refuses one more than 30 in
any one second (one a second to a chat). The bot cannot see when a message arrived, only that
it was after its send began and before its answer came back, and the gap between the two
varies: the event loop is late, a server pauses and then takes several sends at once. Spacing
sends evenly as they leave is therefore not enough (it earned about one 429 in 10,000 alerts).
`SendWindow` counts each message from the moment its send begins until a second after its
answer: a new one goes only when fewer than 30 are counted, so no second at the server can hold
31, whatever the timing. The price is the round trip: each message holds its place that much
longer, so the rate is 30 / (1 s + round trip + SAFETY_MARGIN).

Replies to residents use the same window (`Pacer.reply_turn`). While alerts are going out a
reply takes the next place that comes free, before any alert (a wait of at most one place,
1/30 s, plus a round trip); otherwise it goes at once, so replies are never capped when no
broadcast runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from bot.outbox import Delivery, Outbox
from bot.waiting import pause

logger = logging.getLogger(__name__)

ChatId = int | str


class Outcome(Enum):
    DELIVERED = "delivered"
    GONE = "gone"  # blocked the bot, deleted the account, chat not found: unsubscribe
    RATE_LIMITED = "rate_limited"  # a 429: pause everything for retry_after, then try again
    TRANSIENT = "transient"  # timeout, network error, 5xx: back off and try again
    REJECTED = "rejected"  # refused for good (a bad request): give up at once


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""
    retry_after: float = 0.0


DELIVERED = SendResult(Outcome.DELIVERED)
Send = Callable[[int, str], Awaitable[SendResult]]


@dataclass(frozen=True)
class SendRate:
    """Telegram's free limits: 30 messages a second in all, one a second to each chat."""

    overall: float = 30.0
    per_chat: float = 1.0


# The safety margin. Counting from send to answer already covers every delay the bot and the
# network can add, so against a server that counts exactly a second with a precise clock no
# margin would be needed. Telegram's counting is not documented: these 10 ms, 1% of the rate,
# cover a server whose clock or timestamps are coarse to 10 ms, or whose window is a little
# longer than a second. Kept small on purpose: the round trip already keeps the bot under the
# limit by its own length.
SAFETY_MARGIN = 0.010


class _Places:
    """One of Telegram's limits, `size` messages in any `span` seconds, as the bot counts it."""

    def __init__(self, rate: float):
        self.size = max(1, math.floor(rate + 1e-9))
        self.span = self.size / rate + SAFETY_MARGIN
        self.in_flight = 0
        self.counted_until: deque[float] = deque()  # answered messages, oldest answer first

    def free_at(self, now: float) -> float:
        """When a place is free: `now` or earlier if one is, inf while answers are awaited."""
        while self.counted_until and self.counted_until[0] <= now:
            self.counted_until.popleft()
        # How many of the answered must drop out before a place is free.
        excess = self.in_flight + len(self.counted_until) - self.size
        if excess < 0:
            return now
        return self.counted_until[excess] if excess < len(self.counted_until) else math.inf

    def take(self) -> None:
        self.in_flight += 1

    def answered(self, now: float) -> None:
        self.in_flight -= 1
        self.counted_until.append(now + self.span)

    def idle(self, now: float) -> bool:
        return self.in_flight == 0 and (not self.counted_until or self.counted_until[-1] <= now)


class SendWindow:
    """The messages Telegram may still be counting against its limits, overall and per chat.

    Each counts from when its send begins (`take`) until a second after its answer
    (`answered`), because it reached Telegram somewhere in between.
    """

    def __init__(self, rate: SendRate):
        self.overall = _Places(rate.overall)
        self.per_chat_rate = rate.per_chat
        self._chats: dict[ChatId, _Places] = {}
        self._alerts_in_flight = 0
        self._alerts_counted_until = 0.0
        self._next_sweep = 0.0

    def overall_free_at(self, now: float) -> float:
        return self.overall.free_at(now)

    def chat_free_at(self, chat_id: ChatId, now: float) -> float:
        chat = self._chats.get(chat_id)
        return now if chat is None else chat.free_at(now)

    def take(self, chat_id: ChatId, now: float, *, alert: bool) -> None:
        self.overall.take()
        self._chat(chat_id, now).take()
        if alert:
            self._alerts_in_flight += 1

    def answered(self, chat_id: ChatId, now: float, *, alert: bool) -> None:
        self.overall.answered(now)
        self._chat(chat_id, now).answered(now)
        if alert:
            self._alerts_in_flight -= 1
            self._alerts_counted_until = now + self.overall.span

    def alerts_counted(self, now: float) -> bool:
        """Whether alerts are in flight or still counted: a broadcast is going on."""
        return self._alerts_in_flight > 0 or self._alerts_counted_until > now

    def _chat(self, chat_id: ChatId, now: float) -> _Places:
        if now >= self._next_sweep:
            # A broadcast reaches thousands of chats once each: forget those no longer counted.
            self._chats = {key: chat for key, chat in self._chats.items() if not chat.idle(now)}
            self._next_sweep = now + self.overall.span
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Places(self.per_chat_rate)
        return chat


class Pacer:
    """Hands out the window's places: a waiting reply's first, alerts one an interval at most.

    Alerts are spaced 1/rate apart (half that at the least) so that a broadcast, or its restart
    after a pause, never leaves as a burst, and a reply never waits long for a place; the window
    then decides when each may go.
    """

    def __init__(self, rate: SendRate):
        self.window = SendWindow(rate)
        # The event loop's clock: the waits below are the loop's timers.
        self.clock = time.monotonic
        self.interval = 1.0 / rate.overall
        self._next_alert = 0.0
        self._paused_until = 0.0
        self._replies_waiting = 0
        self._changed = asyncio.Event()

    async def alert_turn(self, chat_id: ChatId) -> bool:
        """Wait for an alert's place and take it; False, taking none, if its chat must wait."""
        while True:
            now = self.clock()
            if self.window.chat_free_at(chat_id, now) > now:
                return False  # a reply just went to this chat: the broadcast moves on
            if self._replies_waiting:
                await self._wait_for_change(None)
                continue
            ready = max(self._next_alert, self._paused_until, self.window.overall_free_at(now))
            if ready <= now:
                self.window.take(chat_id, now, alert=True)
                # From when this turn was due, if it came late by less than half an interval:
                # the event loop wakes up to a millisecond late, which at 300 a second would
                # otherwise cost a quarter of the rate. Never more, so there is no burst.
                self._next_alert = max(self._next_alert, now - self.interval / 2) + self.interval
                return True
            await self._wait_for_change(ready - now)

    def alert_answered(self, chat_id: ChatId) -> None:
        self.window.answered(chat_id, self.clock(), alert=True)
        self._notify()

    @contextlib.asynccontextmanager
    async def reply_turn(self, chat_id: ChatId) -> AsyncIterator[None]:
        """Hold a place in the window while a reply is sent, waiting for one during a broadcast.

        During a broadcast the reply waits for its chat too, rather than earn a 429 and wait
        longer; otherwise it goes at once, and the alerts that follow count it.
        """
        if self.window.alerts_counted(self.clock()):
            self._replies_waiting += 1
            try:
                while True:
                    now = self.clock()
                    ready = max(
                        self._paused_until,
                        self.window.overall_free_at(now),
                        self.window.chat_free_at(chat_id, now),
                    )
                    if ready <= now:
                        break
                    await self._wait_for_change(ready - now)
            finally:
                self._replies_waiting -= 1
        self.window.take(chat_id, self.clock(), alert=False)
        self._notify()  # alerts held back for this reply may go on
        try:
            yield
        finally:
            self.window.answered(chat_id, self.clock(), alert=False)
            self._notify()

    def pause(self, seconds: float) -> None:
        """A 429: no message from the window until Telegram's retry_after has passed."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
        self._notify()

    async def _wait_for_change(self, timeout: float | None) -> None:
        """Until a place may have come free (an answer, a reply gone) or `timeout` passes."""
        changed = self._changed
        if timeout is not None and math.isinf(timeout):
            timeout = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


class Broadcaster:
    """Delivers queued alerts until stopped; in-flight sends finish and are recorded on stop."""

    def __init__(
        self,
        outbox: Outbox,
        send: Send,
        rate: SendRate = SendRate(),
        *,
        concurrency: int = 4,
        attempts: int = 5,
        backoff: float = 2.0,
        poll_interval: float = 1.0,
    ):
        self.outbox = outbox
        self.send = send
        self.rate = rate
        self.pacer = Pacer(rate)
        # Enough to keep a quarter of a second's alerts going between two looks at the outbox;
        # no more, so that an unsubscribe soon stops an alert not yet sent.
        self.batch = max(2 * concurrency, math.ceil(rate.overall / 4))
        self.concurrency = concurrency
        self.attempts = attempts
        self.backoff = backoff
        self.poll_interval = poll_interval
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something was published: look at the outbox now, not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                if not await self._send_due():
                    await self._idle()
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    def stop(self) -> None:
        """Stop starting sends; `run` returns once those in flight are sent and recorded."""
        self._stopping.set()

    async def _idle(self) -> None:
        await pause(self._stopping, self._wake, self.poll_interval)

    async def _send_due(self) -> bool:
        """Start sending the next few due alerts; False when none could be started."""
        due = await self.outbox.due(self.batch, time.time(), set(self._in_flight))
        started = False
        for delivery in due:
            await self._slots.acquire()
            if self._stopping.is_set():
                self._slots.release()
                break
            if not await self.pacer.alert_turn(delivery.chat_id):
                self._slots.release()
                continue  # this chat had a message less than a second ago: later
            self._in_flight[delivery.id] = asyncio.create_task(self._deliver(delivery))
            started = True
        if not started and due and self._in_flight:
            # Everything due is in flight or waiting for its chat: let those finish first.
            await asyncio.wait(set(self._in_flight.values()), timeout=self.poll_interval)
            return True
        return started

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            try:
                result = await self.send(delivery.chat_id, delivery.alert)
            except Exception as error:  # a bug in `send`: count it as a failed attempt
                logger.exception("event=alert_send_error delivery=%d", delivery.id)
                result = SendResult(Outcome.TRANSIENT, f"{type(error).__name__}: {error}")
            finally:
                self.pacer.alert_answered(delivery.chat_id)
            await self._record(delivery, result)
        except Exception:
            logger.exception("event=alert_record_error delivery=%d", delivery.id)
        finally:
            del self._in_flight[delivery.id]
            self._slots.release()

    async def _record(self, delivery: Delivery, result: SendResult) -> None:
        if result.outcome is Outcome.DELIVERED:
            await self.outbox.mark_delivered(delivery)
        elif result.outcome is Outcome.GONE:
            await self.outbox.mark_unsubscribed(delivery, result.detail)
        elif result.outcome is Outcome.RATE_LIMITED:
            # Not the subscriber's fault: no attempt is counted, it goes again after the pause.
            logger.warning("event=alert_rate_limited retry_after=%.1f", result.retry_after)
            self.pacer.pause(result.retry_after)
        elif result.outcome is Outcome.REJECTED or delivery.attempts + 1 >= self.attempts:
            await self.outbox.mark_failed(delivery, result.detail)
        else:
            delay = self.backoff * 2**delivery.attempts
            await self.outbox.retry_later(delivery, time.time() + delay, result.detail)
