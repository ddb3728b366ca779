"""The question log and the staff tools on Telegram: the real Application against the fake."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

from conftest import ADMIN_ID, HASH_KEY
from fake_telegram import DEFAULT_GROUP_ID, FakeTelegram

from bot.answering import Responder, Thresholds
from bot.digest import due_week
from bot.settings import Settings
from bot.storage import Store
from bot.telegram_wording import HELP

RESIDENT = 1001
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


async def logged_questions(settings: Settings, outcomes=("unanswered", "suggest")):
    async with Store(settings.database_path, HASH_KEY.encode()) as store:
        return await store.logged_questions(LONG_AGO, outcomes)


async def test_an_unanswered_question_is_logged_redacted_with_the_chat_type(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        fake_telegram.private_message(
            "When is my bin collection? I'm at CR0 1EA, 07700 900123", user_id=RESIDENT
        )
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT)

    [question] = await logged_questions(bot_settings)
    assert question.question == "When is my bin collection? I'm at [postcode], [phone]"
    assert (question.outcome, question.chat_type) == ("unanswered", "private")
    assert question.corpus_version == Responder.from_directory(bot_settings.faq_dir).corpus.version
    database = bot_settings.database_path
    stored = b"".join(
        path.read_bytes()
        for path in (database, database.with_name(database.name + "-wal"))
        if path.exists()
    )
    assert b"07700" not in stored and b"CR0 1EA" not in stored


async def test_a_suggestion_the_resident_resolves_by_a_choice_is_not_kept(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    responder = Responder.from_directory(bot_settings.faq_dir)
    unsure = Responder(
        responder.corpus, thresholds=Thresholds(answer=101.0, far_ahead_answer=101.0)
    )
    async with start_bot(responder=unsure):
        fake_telegram.private_message("latest ofsted grade", user_id=RESIDENT)
        fake_telegram.private_message("ofsted current rating", user_id=RESIDENT + 1)
        [suggestion] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT + 1)
        choice = "What is the current Ofsted rating of Croydon's children's services?"
        fake_telegram.callback_query(suggestion, button=choice)
        await fake_telegram.wait_for(count=2, chat_id=RESIDENT)

    assert [q.question for q in await logged_questions(bot_settings)] == ["ofsted current rating"]


async def test_a_locked_database_does_not_delay_the_answer_and_the_question_lands_later(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        locker = sqlite3.connect(
            bot_settings.database_path, isolation_level=None, check_same_thread=False
        )
        # In a thread: the bot may be finishing a start-up write, which needs the event loop.
        await asyncio.to_thread(locker.execute, "BEGIN EXCLUSIVE")
        try:
            fake_telegram.private_message("When is my bin collection?", user_id=RESIDENT)
            [reply] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT, timeout=2)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
    assert reply.text == "Sorry, I can't answer that. Please contact the council."
    assert [q.question for q in await logged_questions(bot_settings)] == [
        "When is my bin collection?"
    ]


async def test_a_not_helpful_vote_keeps_the_question_behind_the_answer(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        fake_telegram.callback_query(answer, button="Not helpful")
        await fake_telegram.wait_for(lambda: fake_telegram.answered_callbacks())

    [question] = await logged_questions(bot_settings, outcomes=("not_helpful",))
    assert (question.question, question.entry_id) == ("What does Ofsted do?", "what-is-ofsted")


# Staff commands


async def test_admins_get_the_top_unanswered_questions_of_the_week(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot() as app:
        for user, text in [(1001, "bins day?"), (1002, "bins day"), (1003, "parking permits")]:
            fake_telegram.private_message(text, user_id=user)
            await fake_telegram.wait_for(count=1, chat_id=user)
        await wrote_its_log(app)
        fake_telegram.command("unanswered", user_id=ADMIN_ID)
        [report] = await fake_telegram.wait_for(count=1, chat_id=ADMIN_ID)

    lines = report.text.splitlines()
    assert lines[0] == (
        "Unanswered questions in the last 7 days: 3 questions in 2 groups, largest first."
    )
    assert lines[2] == '1. "bins day?"' or lines[2] == '1. "bins day"'
    assert lines[3].startswith("   2 times by 2 people")


async def test_admins_get_the_weeks_figures(start_bot, fake_telegram: FakeTelegram):
    async with start_bot() as app:
        fake_telegram.private_message("What is Ofsted?", user_id=RESIDENT)
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        await wrote_its_log(app)
        fake_telegram.command("stats", user_id=ADMIN_ID)
        [report] = await fake_telegram.wait_for(count=1, chat_id=ADMIN_ID)
    assert report.text.splitlines()[:2] == [
        "In the last 7 days: 1 questions asked.",
        "  answered outright          1",
    ]
    assert "        1  what-is-ofsted" in report.text


async def test_everyone_else_gets_the_normal_reply_to_an_unknown_command(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        fake_telegram.command("unanswered", user_id=RESIDENT)
        fake_telegram.command("stats", user_id=RESIDENT)
        fake_telegram.command("stats", chat_id=DEFAULT_GROUP_ID, user_id=RESIDENT)
        await fake_telegram.wait_for(count=2, chat_id=RESIDENT)
    assert fake_telegram.sent_texts(RESIDENT) == [HELP, HELP]
    assert fake_telegram.sent_messages(DEFAULT_GROUP_ID) == []


async def test_the_staff_commands_are_in_the_admins_menu_only(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        pass
    everyone = [c["command"] for c in fake_telegram.commands()]
    admin = [c["command"] for c in fake_telegram.commands({"type": "chat", "chat_id": ADMIN_ID})]
    assert "stats" not in everyone and "unanswered" not in everyone
    assert admin == [*everyone, "unanswered", "stats", "publish"]


# The weekly digest


async def test_the_weekly_digest_is_sent_to_the_admins_once_even_across_restarts(
    start_bot, fake_telegram: FakeTelegram
):
    # Monday at midnight has always passed, so this week's digest is due at start-up.
    async with start_bot(digest_weekday=1, digest_hour=0):
        fake_telegram.private_message("When is my bin collection?", user_id=RESIDENT)
        [digest] = await fake_telegram.wait_for(count=1, chat_id=ADMIN_ID)
    async with start_bot(digest_weekday=1, digest_hour=0):
        fake_telegram.private_message("What is Ofsted?", user_id=RESIDENT)
        await fake_telegram.wait_for(count=2, chat_id=RESIDENT)

    assert digest.text.startswith("Weekly FAQ bot digest, week to ")
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1


def test_the_digest_is_due_from_its_weekday_and_hour_in_london_until_the_week_ends():
    monday_9am_london = datetime(2025, 7, 7, 8, 0, tzinfo=UTC)  # British Summer Time
    assert due_week(monday_9am_london, weekday=1, hour=9) == "2025-W28"
    assert due_week(monday_9am_london - timedelta(minutes=1), weekday=1, hour=9) is None
    assert due_week(monday_9am_london + timedelta(days=6), weekday=1, hour=9) == "2025-W28"
    assert due_week(monday_9am_london + timedelta(days=7), weekday=1, hour=9) == "2025-W29"
    assert due_week(monday_9am_london, weekday=None, hour=9) is None
    assert due_week(datetime(2025, 1, 6, 9, 0, tzinfo=UTC), weekday=1, hour=9) == "2025-W02"


async def wrote_its_log(app) -> None:
    """The bot writes its question log just after replying; wait until that is on disk."""
    assert await app.services.handlers.question_log.flush()
