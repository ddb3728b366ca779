from __future__ import annotations

import asyncio
import random
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.broadcast import (
    DELIVERED,
    SAFETY_MARGIN,
    Broadcaster,
    Outcome,
    Pacer,
    SendRate,
    SendResult,
    SendWindow,
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
    assert min(gaps) >= 0.5 / 50 - 0.001  # 1/50 s apart, half that after a late turn
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


# Pacing: what the server counts, replies first


class SlidingWindowServer:
    """A server that counts each message when it arrives, some way into its send, as Telegram
    does. Most arrive within a few milliseconds; one in twenty is held up 150 ms on the way (a
    busy event loop, a server pause) and arrives bunched up with later ones."""

    def __init__(self, seed: int = 5):
        self.random = random.Random(seed)
        self.arrivals: list[float] = []
        self.alerts = 0

    async def send(self, chat_id: int, text: str) -> SendResult:
        await self.travel()
        self.alerts += 1
        return DELIVERED

    async def travel(self) -> None:
        held_up = self.random.random() < 0.05
        await asyncio.sleep(0.15 if held_up else self.random.uniform(0, 0.004))
        self.arrivals.append(time.monotonic())
        await asyncio.sleep(self.random.uniform(0, 0.004))  # the answer's way back

    def most_in_one_second(self) -> int:
        """The most messages that arrived in any one-second window (T - 1, T]."""
        times = sorted(self.arrivals)
        return max(index + 1 - bisect_right(times, at - 1.0) for index, at in enumerate(times))


async def test_the_server_never_counts_more_than_the_limit_in_a_second_however_sends_bunch_up(
    outbox: Outbox,
) -> None:
    rate = 40
    await publish_to(outbox, range(1, 121))
    server = SlidingWindowServer()
    broadcaster = Broadcaster(outbox, server.send, SendRate(rate, 1.0), poll_interval=0.05)
    replies = []

    async def residents_ask() -> None:
        """Replies during the broadcast: they count too, and go before the alerts."""
        for chat_id in range(1001, 1006):
            await asyncio.sleep(0.4)
            asked = time.monotonic()
            async with broadcaster.pacer.reply_turn(chat_id):
                await server.travel()
            replies.append(time.monotonic() - asked)

    asking = asyncio.create_task(residents_ask())
    started = time.monotonic()
    await run_until_done(broadcaster, outbox)
    took = time.monotonic() - started
    await asking

    assert server.alerts == 120
    assert server.most_in_one_second() <= rate
    # Close to the rate: each message holds its place for its round trip too, and those held
    # up hold it 150 ms longer.
    assert took < 120 / (rate * 0.8)
    assert max(replies) < 0.5


async def test_a_reply_during_a_broadcast_takes_the_next_free_place_before_a_waiting_alert() -> (
    None
):
    pacer = Pacer(SendRate(10.0, 1.0))
    answered = []
    for chat_id in range(10):  # a second's worth of alerts: the window is full
        assert await pacer.alert_turn(chat_id)
        pacer.alert_answered(chat_id)
        answered.append(time.monotonic())
    went: dict[str, float] = {}

    async def alert() -> None:
        assert await pacer.alert_turn(10)
        went["alert"] = time.monotonic()
        pacer.alert_answered(10)

    waiting_alert = asyncio.create_task(alert())
    await asyncio.sleep(0.05)  # the alert waits first
    async with pacer.reply_turn(99):
        went["reply"] = time.monotonic()
    await waiting_alert

    # The reply took the first place that came free, a second after the first alert's answer;
    # the alert waiting before it took the second.
    assert answered[0] + 1.0 <= went["reply"] < answered[0] + 1.0 + SAFETY_MARGIN + 0.02
    assert went["alert"] >= answered[1] + 1.0


async def test_replies_go_at_once_when_no_broadcast_runs_and_the_alerts_after_count_them() -> None:
    pacer = Pacer(SendRate(10.0, 1.0))
    started = time.monotonic()
    for chat_id in range(1, 26):  # 25 replies: more than the rate, none held back
        async with pacer.reply_turn(chat_id):
            pass
    replied = time.monotonic()

    assert await pacer.alert_turn(100)

    assert replied - started < 0.1
    assert time.monotonic() - replied >= 1.0


async def test_an_alert_to_a_chat_just_answered_waits_its_second_while_others_go(
    outbox: Outbox,
) -> None:
    await publish_to(outbox, [1, 2, 3])
    recipients = Recipients()
    broadcaster = Broadcaster(outbox, recipients.send, SendRate(50.0, 1.0), poll_interval=0.05)
    async with broadcaster.pacer.reply_turn(2):  # a resident who subscribed asks something
        pass
    answered = time.monotonic()

    await run_until_done(broadcaster, outbox)

    assert recipients.received == Counter({1: 1, 2: 1, 3: 1})
    first, third, second = recipients.sent_at
    assert third - answered < 0.5
    assert second - answered >= 1.0


def test_a_message_counts_from_its_send_until_a_second_after_its_answer() -> None:
    window = SendWindow(SendRate(2.0, 1.0))
    window.take(1, 0.0, alert=True)
    window.take(2, 0.1, alert=True)
    assert window.overall_free_at(0.2) == float("inf")  # both on their way: wait for an answer

    window.answered(1, 0.5, alert=True)
    assert window.overall_free_at(0.6) == 1.5 + SAFETY_MARGIN
    window.answered(2, 0.7, alert=True)
    assert window.overall_free_at(1.6) == 1.6
    assert window.chat_free_at(1, 1.0) == 1.5 + SAFETY_MARGIN  # one a second to a chat
    assert window.chat_free_at(3, 1.0) == 1.0


def test_a_broadcast_is_on_while_alerts_are_sent_or_still_counted() -> None:
    window = SendWindow(SendRate(30.0, 1.0))
    window.take(1, 0.0, alert=False)
    window.answered(1, 0.1, alert=False)
    assert not window.alerts_counted(0.2)  # replies alone are no broadcast

    window.take(2, 1.0, alert=True)
    assert window.alerts_counted(50.0)  # on its way, however long
    window.answered(2, 1.1, alert=True)
    assert window.alerts_counted(2.0)
    assert not window.alerts_counted(2.2)
