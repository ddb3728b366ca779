from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.outbox import UNSUBSCRIBE_HINT, Outbox, PublishError, alert_text
from bot.storage import Store
from bot.updates import ProgressUpdate

NEW_PLAN = ProgressUpdate(
    id="2025-06-new-plan",
    date=date(2025, 6, 1),
    title="New improvement plan <draft> & more",
    summary="The council published its new plan.",
    link="https://www.croydon.gov.uk/plan?a=1&b=2",
)
UPDATES_YAML = """\
updates:
  - id: 2024-12-rated-good
    date: 2024-12-03
    title: Rated good again
    summary: Ofsted rated the services good.
    published: true
  - id: 2025-06-new-plan
    date: 2025-06-01
    title: New improvement plan
    summary: The council published its new plan.
"""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with Store(tmp_path / "data" / "faqbot.sqlite3", b"key") as opened:
        yield opened


async def subscribe(store: Store, *chat_ids: int) -> None:
    for chat_id in chat_ids:
        await store.subscribe(chat_id, chat_id)


async def queued_chats(outbox: Outbox) -> list[int]:
    return [delivery.chat_id for delivery in await outbox.due(100, time.time(), set())]


def test_the_alert_has_title_date_summary_link_and_how_to_stop() -> None:
    assert alert_text(NEW_PLAN) == (
        "<b>New improvement plan &lt;draft&gt; &amp; more</b>\n"
        "1 June 2025\n\n"
        "The council published its new plan.\n\n"
        "Read more: https://www.croydon.gov.uk/plan?a=1&amp;b=2\n\n" + UNSUBSCRIBE_HINT
    )


async def test_publishing_queues_one_alert_for_each_current_subscriber(store: Store) -> None:
    outbox = Outbox(store)
    await subscribe(store, 11, 12, 13)

    assert await outbox.publish(NEW_PLAN) == 3

    assert await queued_chats(outbox) == [11, 12, 13]
    [status] = await outbox.statuses()
    assert (status.update_id, status.queued, status.remaining) == ("2025-06-new-plan", 3, 3)


async def test_publishing_the_same_update_again_is_refused(store: Store) -> None:
    outbox = Outbox(store)
    await subscribe(store, 11)
    await outbox.publish(NEW_PLAN)

    with pytest.raises(PublishError, match='"2025-06-new-plan" was already published on'):
        await outbox.publish(NEW_PLAN)

    assert await queued_chats(outbox) == [11]


async def test_an_update_marked_published_is_never_alerted(store: Store) -> None:
    history = ProgressUpdate(
        "2020-rated-good", date(2020, 3, 16), "Good", "Rated good.", None, True
    )
    await subscribe(store, 11)

    with pytest.raises(PublishError, match='marked "published: true"'):
        await Outbox(store).publish(history)

    assert await Outbox(store).statuses() == []


async def test_who_subscribes_after_publication_gets_no_alert(store: Store) -> None:
    outbox = Outbox(store)
    await subscribe(store, 11)
    await outbox.publish(NEW_PLAN)
    await subscribe(store, 12)

    assert await queued_chats(outbox) == [11]


async def test_unsubscribing_or_forgetting_before_the_alert_goes_cancels_it(store: Store) -> None:
    outbox = Outbox(store)
    await subscribe(store, 11, 12, 13)
    await outbox.publish(NEW_PLAN)

    await store.unsubscribe(11)
    await store.forget(12)

    assert await queued_chats(outbox) == [13]
    [status] = await outbox.statuses()
    assert (status.cancelled, status.remaining) == (2, 1)


async def test_the_status_counts_each_kind_of_ending(store: Store) -> None:
    outbox = Outbox(store)
    await subscribe(store, 11, 12, 13, 14)
    await outbox.publish(NEW_PLAN)
    first, second, third, _ = await outbox.due(10, time.time(), set())

    await outbox.mark_delivered(first)
    await outbox.mark_unsubscribed(second, "Forbidden: bot was blocked by the user")
    await outbox.mark_failed(third, "Bad Request: message is too long")

    [status] = await outbox.statuses("2025-06-new-plan")
    assert (status.delivered, status.unsubscribed, status.failed, status.remaining) == (1, 1, 1, 1)
    assert not await store.is_subscribed(12)


async def test_a_delivery_to_retry_waits_until_its_time(store: Store) -> None:
    outbox = Outbox(store)
    await subscribe(store, 11)
    await outbox.publish(NEW_PLAN)
    [delivery] = await outbox.due(10, time.time(), set())

    await outbox.retry_later(delivery, time.time() + 60, "Bad Gateway")

    assert await outbox.due(10, time.time(), set()) == []
    [later] = await outbox.due(10, time.time() + 61, set())
    assert later.attempts == 1


# faqbot publish


@pytest.fixture
def faq_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "updates.yaml").write_text(UPDATES_YAML, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAQBOT_FAQ_DIR", str(faq))
    monkeypatch.setenv("FAQBOT_DB", str(tmp_path / "data" / "faqbot.sqlite3"))
    return tmp_path


def subscribe_in(path: Path, *chat_ids: int) -> None:
    async def run() -> None:
        async with Store(path / "data" / "faqbot.sqlite3", b"key") as opened:
            await subscribe(opened, *chat_ids)

    asyncio.run(run())


def test_faqbot_publish_queues_then_refuses_a_second_time(faq_env: Path, capsys) -> None:
    subscribe_in(faq_env, 11, 12)

    assert main(["publish", "2025-06-new-plan"]) == 0
    assert capsys.readouterr().out.startswith('Queued "2025-06-new-plan" for 2 subscribers.')

    assert main(["publish", "2025-06-new-plan"]) == 1
    assert 'Error: the update "2025-06-new-plan" was already published on' in (
        capsys.readouterr().err
    )


def test_faqbot_publish_dry_run_shows_the_alert_and_queues_nothing(faq_env: Path, capsys) -> None:
    subscribe_in(faq_env, 11, 12)

    assert main(["publish", "--dry-run", "2025-06-new-plan"]) == 0

    out = capsys.readouterr().out
    assert "<b>New improvement plan</b>\n1 June 2025" in out
    assert out.endswith("It would go to 2 subscribers. Nothing was queued.\n")
    assert main(["publish", "--status"]) == 0
    assert capsys.readouterr().out == "Nothing has been published yet.\n"


@pytest.mark.parametrize(
    ("update_id", "complaint"),
    [
        ("no-such-update", 'there is no update "no-such-update" in'),
        ("2024-12-rated-good", 'is marked "published: true"'),
    ],
)
def test_faqbot_publish_refuses_unknown_and_historic_updates(
    faq_env: Path, capsys, update_id: str, complaint: str
) -> None:
    assert main(["publish", update_id]) == 1
    assert complaint in capsys.readouterr().err


def test_faqbot_publish_refuses_a_broken_updates_file_with_its_line(faq_env: Path, capsys) -> None:
    (faq_env / "faq" / "updates.yaml").write_text(
        "updates:\n  - id: x\n    date: 1 June\n    title: T\n    summary: S\n", encoding="utf-8"
    )

    assert main(["publish", "x"]) == 1

    assert f"{faq_env / 'faq' / 'updates.yaml'}:3:11: error: " in capsys.readouterr().err


def test_faqbot_publish_status_shows_the_counts(faq_env: Path, capsys) -> None:
    subscribe_in(faq_env, 11, 12)
    main(["publish", "2025-06-new-plan"])
    capsys.readouterr()

    assert main(["publish", "--status", "2025-06-new-plan"]) == 0

    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[-7:] == [
        "queued",
        "delivered",
        "failed",
        "unsubscribed",
        "cancelled",
        "remaining",
        "rate",
    ]
    assert row.split()[0] == "2025-06-new-plan"
    assert row.split()[-7:] == ["2", "0", "0", "0", "0", "2", "-"]
