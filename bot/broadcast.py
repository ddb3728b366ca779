"""Sends the outbox's alerts at close to Telegram's rate, whatever carries them.

`Broadcaster` takes any `async send(chat_id, text) -> SendResult`: the Telegram front end turns
its errors into a `SendResult`, so nothing here knows about Telegram. Sends are spaced evenly just
under the overall rate (a burst is what earns 429s), no chat gets more than its own rate, and a 429
pauses every send for retry_after. Resident replies take a turn from the same pacer
(`Pacer.give_way`), so a broadcast slows down for them rather than the reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from bot.outbox import Delivery, Outbox

logger = logging.getLogger(__name__)


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


# Telegram counts messages as they arrive: network jitter can bring two sends closer together
# than they left. Alerts spread what one second allows over this much more than a second.
JITTER_MARGIN = 0.012
# A turn taken up to this late still counts from when it was due, so the event loop's timer
# slack costs no rate; after a longer gap the next turn counts from now (no catching up).
TIMER_SLACK = 0.004


class Pacer:
    """Hands out evenly spaced turns to send alerts; `give_way` and `pause` hold them back.

    Of the `rate` messages a second allows it hands out one fewer, so a reply to a resident,
    which goes at once and only then takes a turn (`give_way`), still fits within the limit.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        alerts_a_second = max(rate - 1, rate / 2)
        self.interval = (1.0 + JITTER_MARGIN) / alerts_a_second
        self.clock = clock
        self._next_turn = 0.0
        self._paused_until = 0.0

    async def wait_turn(self) -> None:
        # The turn is taken only once it has come: a reply (give_way) or a 429 (pause) while
        # waiting moves it on.
        while True:
            now = self.clock()
            turn = max(self._next_turn, self._paused_until)
            if turn <= now:
                self._next_turn = max(turn, now - TIMER_SLACK) + self.interval
                return
            await asyncio.sleep(turn - now)

    def give_way(self) -> None:
        """Another message (a reply to a resident) just used a turn: the next one waits."""
        self._next_turn = max(self.clock(), self._next_turn) + self.interval

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)


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
        self.pacer = Pacer(rate.overall)
        self.concurrency = concurrency
        self.attempts = attempts
        self.backoff = backoff
        self.poll_interval = poll_interval
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._chat_free_at: dict[int, float] = {}
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
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval):
                stopping = asyncio.create_task(self._stopping.wait())
                woken = asyncio.create_task(self._wake.wait())
                try:
                    await asyncio.wait({stopping, woken}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopping.cancel()
                    woken.cancel()

    async def _send_due(self) -> bool:
        """Start sending the next few due alerts; False when none could be started."""
        due = await self.outbox.due(self.concurrency * 2, time.time(), set(self._in_flight))
        now = time.monotonic()
        self._chat_free_at = {chat: at for chat, at in self._chat_free_at.items() if at > now}
        started = False
        for delivery in due:
            if self._chat_free_at.get(delivery.chat_id, 0.0) > time.monotonic():
                continue  # this chat had a message less than a second ago: later
            await self._slots.acquire()
            if self._stopping.is_set():
                self._slots.release()
                break
            await self.pacer.wait_turn()
            chat_interval = (1.0 + JITTER_MARGIN) / self.rate.per_chat
            self._chat_free_at[delivery.chat_id] = time.monotonic() + chat_interval
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
