"""The weekly digest reaches every admin once a week: not twice, and not lost to a failure."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.digest import SEND_LEASE, DigestDelivery, send_digest_if_due
from bot.question_log import QuestionLog
from bot.reply import Outcome, Reply
from bot.storage import MIGRATIONS, Store

KEY = b"test-key"
ALICE, BOB, CAROL = 101, 102, 103
# Monday 7 July 2025, 9:30 in London (summer time): just after the digest's hour, in week 28.
MONDAY = datetime(2025, 7, 7, 8, 30, tzinfo=UTC)


class Telegram:
    """A `send` for the digest that keeps what went to whom, and fails for chosen admins."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.down_for: set[int] = set()

    async def send(self, admin: int, text: str) -> None:
        if admin in self.down_for:
            raise ConnectionError("Telegram did not answer")
        self.sent.append((admin, text))

    def texts_to(self, admin: int) -> list[str]:
        return [text for to, text in self.sent if to == admin]


async def check(
    store: Store,
    telegram: Telegram,
    now: datetime,
    admins: frozenset[int] = frozenset({ALICE, BOB}),
) -> DigestDelivery | None:
    """What the bot's digest task does every minute."""
    return await send_digest_if_due(
        store, now, weekday=1, hour=9, admins=admins, entry_ids=None, send=telegram.send
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "faqbot.sqlite3"


async def test_each_admin_gets_the_week_s_digest_once_however_often_it_is_checked(path: Path):
    telegram = Telegram()
    async with Store(path, KEY) as store:
        assert await check(store, telegram, MONDAY - timedelta(hours=1)) is None  # not yet due
        first = await check(store, telegram, MONDAY)
        assert first == DigestDelivery("2025-W28", delivered=(ALICE, BOB), failed=())
        for minutes in (1, 2, 60 * 24 * 3):
            assert await check(store, telegram, MONDAY + timedelta(minutes=minutes)) is None
    async with Store(path, KEY) as store:  # a restart
        assert await check(store, telegram, MONDAY + timedelta(days=2)) is None
        assert await check(store, telegram, MONDAY + timedelta(days=7)) is not None  # week 29

    assert [admin for admin, _ in telegram.sent] == [ALICE, BOB, ALICE, BOB]
    assert telegram.sent[0][1].startswith("Weekly FAQ bot digest, week to 07 July 2025")
    assert telegram.sent[2][1].startswith("Weekly FAQ bot digest, week to 14 July 2025")


async def test_a_failed_send_is_retried_later_for_that_admin_only(path: Path):
    telegram = Telegram()
    telegram.down_for = {BOB}
    async with Store(path, KEY) as store:
        assert await check(store, telegram, MONDAY) == DigestDelivery(
            "2025-W28", delivered=(ALICE,), failed=(BOB,)
        )
        # Bob's next try waits a minute, then two, then four...
        assert await check(store, telegram, MONDAY + timedelta(seconds=30)) is None
        retried = await check(store, telegram, MONDAY + timedelta(minutes=1))
        assert retried == DigestDelivery("2025-W28", delivered=(), failed=(BOB,))
        assert await check(store, telegram, MONDAY + timedelta(minutes=2)) is None
        telegram.down_for = set()
        later = MONDAY + timedelta(minutes=3)
        assert await check(store, telegram, later) == DigestDelivery(
            "2025-W28", delivered=(BOB,), failed=()
        )
        assert await check(store, telegram, later + timedelta(hours=5)) is None

    assert len(telegram.texts_to(ALICE)) == 1
    # The retry is the same digest, of the same week, though sent later.
    assert telegram.texts_to(BOB) == telegram.texts_to(ALICE)


async def test_an_admin_telegram_keeps_refusing_is_tried_at_most_hourly(path: Path):
    telegram = Telegram()
    telegram.down_for = {BOB}
    tries = 0
    async with Store(path, KEY) as store:
        now = MONDAY
        while now < MONDAY + timedelta(hours=4):
            delivery = await check(store, telegram, now)
            tries += delivery is not None and BOB in delivery.failed
            now += timedelta(minutes=1)
    # At 0, 1, 3, 7, 15, 31, 63 minutes, then hourly (123, 183): not at each of 240 checks.
    assert tries == 9


async def test_an_admin_telegram_refuses_all_week_is_still_tried_every_hour_at_its_end(
    path: Path,
):
    telegram = Telegram()
    telegram.down_for = {BOB}
    async with Store(path, KEY) as store:
        sunday_late = MONDAY + timedelta(days=6, hours=14)  # 23:30 in London, still week 28
        hour = MONDAY
        while hour < sunday_late:
            await check(store, telegram, hour)
            hour += timedelta(hours=1)
        last = await check(store, telegram, sunday_late)
    assert last == DigestDelivery("2025-W28", delivered=(), failed=(BOB,))


async def test_a_restart_after_a_failure_sends_only_to_the_admins_not_yet_reached(path: Path):
    telegram = Telegram()
    telegram.down_for = {BOB}
    async with Store(path, KEY) as store:
        await check(store, telegram, MONDAY)
    telegram.down_for = set()
    async with Store(path, KEY) as store:
        delivery = await check(store, telegram, MONDAY + timedelta(minutes=5))
    assert delivery == DigestDelivery("2025-W28", delivered=(BOB,), failed=())
    assert [admin for admin, _ in telegram.sent] == [ALICE, BOB]


async def test_a_send_cut_short_by_a_crash_is_sent_again_once_its_lease_has_run_out(path: Path):
    telegram = Telegram()

    async def crash_while_sending_to_bob(admin: int, text: str) -> None:
        if admin == BOB:
            raise asyncio.CancelledError  # the process is stopping: nothing is recorded
        await telegram.send(admin, text)

    async with Store(path, KEY) as store:
        with pytest.raises(asyncio.CancelledError):
            await send_digest_if_due(
                store,
                MONDAY,
                weekday=1,
                hour=9,
                admins={ALICE, BOB},
                entry_ids=None,
                send=crash_while_sending_to_bob,
            )
    async with Store(path, KEY) as store:
        # Bob's send may still be under way in the other process: he is left alone meanwhile.
        assert await check(store, telegram, MONDAY + SEND_LEASE - timedelta(seconds=1)) is None
        delivery = await check(store, telegram, MONDAY + SEND_LEASE)
    assert delivery == DigestDelivery("2025-W28", delivered=(BOB,), failed=())
    assert [admin for admin, _ in telegram.sent] == [ALICE, BOB]


async def test_two_bots_on_one_database_send_each_admin_one_copy(path: Path):
    telegram = Telegram()
    admins = frozenset(range(1, 21))

    async with Store(path, KEY) as first, Store(path, KEY) as second:

        async def slow_send(admin: int, text: str) -> None:
            await asyncio.sleep(0.001)  # lets the other bot run in between
            await telegram.send(admin, text)

        async def bot(store: Store) -> DigestDelivery | None:
            return await send_digest_if_due(
                store, MONDAY, weekday=1, hour=9, admins=admins, entry_ids=None, send=slow_send
            )

        await asyncio.gather(bot(first), bot(second))

    assert sorted(admin for admin, _ in telegram.sent) == sorted(admins)


async def test_an_admin_added_during_the_week_gets_it_until_everyone_has_had_it(path: Path):
    telegram = Telegram()
    telegram.down_for = {BOB}
    async with Store(path, KEY) as store:
        await check(store, telegram, MONDAY)
        telegram.down_for = set()
        everyone = frozenset({ALICE, BOB, CAROL})
        delivery = await check(store, telegram, MONDAY + timedelta(minutes=1), admins=everyone)
        assert delivery == DigestDelivery("2025-W28", delivered=(BOB, CAROL), failed=())
        # Complete now: an admin added later waits for next week's.
        later = MONDAY + timedelta(days=1)
        assert await check(store, telegram, later, admins=everyone | {104}) is None


async def test_no_admins_or_no_digest_day_sends_nothing(path: Path):
    telegram = Telegram()
    async with Store(path, KEY) as store:
        assert await check(store, telegram, MONDAY, admins=frozenset()) is None
        assert (
            await send_digest_if_due(
                store,
                MONDAY,
                weekday=None,
                hour=9,
                admins={ALICE},
                entry_ids=None,
                send=telegram.send,
            )
            is None
        )
    assert telegram.sent == []


async def test_the_digest_lists_the_week_s_unanswered_questions(path: Path):
    telegram = Telegram()
    async with Store(path, KEY) as store:
        log = QuestionLog(store, clock=lambda: MONDAY - timedelta(days=1))
        for user in (1, 2, 3):
            log.record(
                user_id=user,
                chat_id=user,
                chat_type="private",
                text="When are the bins collected?",
                reply=Reply(Outcome.UNANSWERED, "Sorry"),
                corpus_version="v1",
            )
        assert await log.flush()
        await check(store, telegram, MONDAY)
    [text] = telegram.texts_to(ALICE)
    assert '1. "When are the bins collected?"' in text
    assert "3 times by 3 people" in text


async def test_a_week_claimed_before_the_upgrade_is_not_sent_again(path: Path):
    # The database as the previous release left it: this week claimed, with the old meaning
    # "sent to everyone" (or lost).
    with sqlite3.connect(path) as db:
        db.executescript(
            "".join(MIGRATIONS[:4]) + "PRAGMA user_version = 4;"
            "INSERT INTO digests_sent VALUES ('2025-W28', '2025-07-07T08:00:00+00:00');"
        )
    telegram = Telegram()
    async with Store(path, KEY) as store:
        assert await check(store, telegram, MONDAY) is None
        assert await check(store, telegram, MONDAY + timedelta(days=7)) is not None
    assert [text.splitlines()[0] for _, text in telegram.sent] == [
        "Weekly FAQ bot digest, week to 14 July 2025",
    ] * 2
