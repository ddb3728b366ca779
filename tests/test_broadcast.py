from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.broadcast import (
    DELIVERED,
    JITTER_MARGIN,
    TIMER_SLACK,
    Broadcaster,
    Outcome,
    Pacer,
    SendRate,
    SendResult,
)
from bot.outbox import Outbox
from bot.storage import Store
from bot.updates import ProgressUpdate

UPDATE = ProgressUpdate("2025-06-new-plan", date(2025, 6, 1), "New plan", "The plan is out.")
FAST = SendRate(overall=500.0, per_chat=100.0)


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[Outbox]:
    async with Store(tmp_path / "faqbot.sqlite3", b"key") as store:
        yield Outbox(store)


class Recipients:
    """A send function that records who got what, with scripted answers per chat."""

    def __init__(self, scripted: dict[int, list[SendResult]] | None = None, delay: float = 0):
        self.scripted = scripted or {}
        self.delay = delay
        self.received: Counter[int] = Counter()
        self.attempts: Counter[int] = Counter()
        self.sent_at: list[float] = []

    async def send(self, chat_id: int, text: str) -> SendResult:
        self.attempts[chat_id] += 1
        await asyncio.sleep(self.delay)
        answers = self.scripted.get(chat_id)
        result = answers.pop(0) if answers else DELIVERED
        if result is DELIVERED:
            self.received[chat_id] += 1
            self.sent_at.append(time.monotonic())
        return result


async def run_until_done(broadcaster: Broadcaster, outbox: Outbox, timeout: float = 10) -> None:
    task = asyncio.create_task(broadcaster.run())
    try:
        async with asyncio.timeout(timeout):
            while (await outbox.statuses())[0].remaining:
                await asyncio.sleep(0.01)
    finally:
        broadcaster.stop()
        await task


async def publish_to(outbox: Outbox, chat_ids: range | list[int]) -> None:
    for chat_id in chat_ids:
        await outbox.store.subscribe(chat_id, chat_id)
    await outbox.publish(UPDATE)


async def test_every_subscriber_gets_exactly_one_alert(outbox: Outbox) -> None:
    await publish_to(outbox, range(1, 41))
    recipients = Recipients(delay=0.002)

    await run_until_done(Broadcaster(outbox, recipients.send, FAST, poll_interval=0.05), outbox)

    assert recipients.received == Counter({chat_id: 1 for chat_id in range(1, 41)})
    [status] = await outbox.statuses()
    assert (status.delivered, status.remaining) == (40, 0)


async def test_sends_are_spaced_at_the_overall_rate(outbox: Outbox) -> None:
    await publish_to(outbox, range(1, 21))
    recipients = Recipients()

    await run_until_done(Broadcaster(outbox, recipients.send, SendRate(50.0, 1.0)), outbox)

    gaps = [b - a for a, b in zip(recipients.sent_at, recipients.sent_at[1:], strict=False)]
    assert min(gaps) >= 0.01  # 1/50 s apart, less the event loop's timer slack
    assert 0.35 <= recipients.sent_at[-1] - recipients.sent_at[0] <= 0.6


async def test_a_blocked_subscriber_is_unsubscribed_and_not_retried(outbox: Outbox) -> None:
    await publish_to(outbox, [1, 2])
    blocked = SendResult(Outcome.GONE, "Forbidden: bot was blocked by the user")
    recipients = Recipients({2: [blocked]})

    await run_until_done(Broadcaster(outbox, recipients.send, FAST, poll_interval=0.05), outbox)

    assert recipients.attempts == Counter({1: 1, 2: 1})
    assert not await outbox.store.is_subscribed(2)
    [status] = await outbox.statuses()
    assert (status.delivered, status.unsubscribed) == (1, 1)


async def test_server_errors_are_retried_with_backoff_then_marked_failed(outbox: Outbox) -> None:
    await publish_to(outbox, [1, 2])
    bad_gateway = SendResult(Outcome.TRANSIENT, "Bad Gateway")
    recipients = Recipients({1: [bad_gateway, bad_gateway], 2: [bad_gateway] * 3})
    broadcaster = Broadcaster(
        outbox, recipients.send, FAST, attempts=3, backoff=0.01, poll_interval=0.02
    )

    await run_until_done(broadcaster, outbox)

    assert recipients.received == Counter({1: 1})
    assert recipients.attempts == Counter({1: 3, 2: 3})
    [status] = await outbox.statuses()
    assert (status.delivered, status.failed) == (1, 1)


async def test_a_429_pauses_every_send_for_retry_after(outbox: Outbox) -> None:
    await publish_to(outbox, range(1, 6))
    recipients = Recipients({1: [SendResult(Outcome.RATE_LIMITED, "429", retry_after=0.3)]})
    started = time.monotonic()

    await run_until_done(
        Broadcaster(outbox, recipients.send, FAST, concurrency=1, poll_interval=0.02), outbox
    )

    assert recipients.received == Counter({chat_id: 1 for chat_id in range(1, 6)})
    assert min(recipients.sent_at) - started >= 0.3
    [status] = await outbox.statuses()
    assert status.failed == 0


async def test_stopping_finishes_and_records_the_sends_in_flight(outbox: Outbox) -> None:
    await publish_to(outbox, range(1, 31))
    recipients = Recipients(delay=0.2)
    broadcaster = Broadcaster(outbox, recipients.send, FAST, concurrency=4)
    task = asyncio.create_task(broadcaster.run())
    while not recipients.attempts:
        await asyncio.sleep(0.01)

    broadcaster.stop()
    await task

    [status] = await outbox.statuses()
    assert status.delivered == sum(recipients.received.values()) == len(recipients.attempts)
    assert 1 <= status.delivered <= 4
    assert status.remaining == 30 - status.delivered


async def test_an_alert_published_while_running_goes_out_without_waiting(outbox: Outbox) -> None:
    recipients = Recipients()
    broadcaster = Broadcaster(outbox, recipients.send, FAST, poll_interval=30)
    task = asyncio.create_task(broadcaster.run())
    await asyncio.sleep(0.05)

    await publish_to(outbox, [1])
    broadcaster.wake()
    async with asyncio.timeout(2):
        while not recipients.received:
            await asyncio.sleep(0.01)

    broadcaster.stop()
    await task


async def test_a_reply_while_an_alert_waits_for_its_turn_pushes_that_turn_back() -> None:
    pacer = Pacer(11.0)  # ten alerts a second: a turn every ~0.1 s
    await pacer.wait_turn()
    started = time.monotonic()
    waiting = asyncio.create_task(pacer.wait_turn())
    await asyncio.sleep(pacer.interval / 2)

    pacer.give_way()  # a reply to a resident goes now, in the middle of the wait
    await waiting

    assert time.monotonic() - started >= 2 * pacer.interval - 0.01


async def test_alerts_leave_room_in_every_second_for_a_reply_and_network_jitter() -> None:
    rate = 50
    pacer = Pacer(rate)
    turns = []
    for _ in range(rate + 10):
        await pacer.wait_turn()
        turns.append(time.monotonic())

    # However a second is placed, it holds at most rate - 1 alerts, even 10 ms shorter.
    alerts_that_fit = rate - 1
    spans = [b - a for a, b in zip(turns, turns[alerts_that_fit:], strict=False)]
    assert min(spans) >= 1.0 + JITTER_MARGIN - TIMER_SLACK
