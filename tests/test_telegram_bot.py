"""What residents get from the bot on Telegram: the real Application over HTTP against the fake."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import ADMIN_ID, HASH_KEY, LONG_ENTRY_ID, LONG_PARAGRAPH
from fake_telegram import DEFAULT_GROUP_ID, FakeTelegram

from bot.answering import Responder, Thresholds
from bot.settings import Settings
from bot.storage import Store
from bot.telegram_wording import (
    ALREADY_SUBSCRIBED,
    FORGOTTEN,
    HELP,
    HELPFUL,
    NEXT_PAGE,
    NO_UPDATES,
    NOT_HELPFUL,
    NOT_SUBSCRIBED,
    PREVIOUS_PAGE,
    PRIVACY,
    SUBSCRIBED,
    TEXT_ONLY,
    TOPICS_HEADING,
    UNSUBSCRIBED,
    VOTE_THANKS,
    WELCOME,
)

RESIDENT = 1001
OTHER_RESIDENT = 1002


async def open_store(settings: Settings) -> Store:
    store = Store(settings.database_path, HASH_KEY.encode())
    await store.open()
    return store


async def test_a_question_gets_the_escaped_answer_with_its_source_and_vote_buttons(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)

    assert answer.text == (
        "Ofsted inspects services for children & young people <in England>.\n\n"
        'Source: Ofsted & "you"'
    )
    assert answer.parse_mode == "HTML"
    [link] = [entity for entity in answer.entities if entity["type"] == "text_link"]
    assert link["url"] == "https://www.gov.uk/ofsted?a=1&b=2"
    assert [label for label, _ in answer.buttons] == [HELPFUL, NOT_HELPFUL]
    assert all(len(data.encode()) <= 64 for _, data in answer.buttons)
    assert bot_settings.heartbeat_file.exists()


async def test_an_unsure_match_offers_choices_and_pressing_one_sends_that_answer(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    # Thresholds that never answer outright, so any question close enough gets choices.
    responder = Responder.from_directory(bot_settings.faq_dir)
    unsure = Responder(
        responder.corpus, thresholds=Thresholds(answer=101.0, far_ahead_answer=101.0)
    )
    async with start_bot(responder=unsure):
        fake_telegram.private_message("latest ofsted grade", user_id=RESIDENT)
        [question] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        assert question.text == "I'm not sure which of these you mean:"
        choice = "What is the current Ofsted rating of Croydon's children's services?"
        assert choice in [label for label, _ in question.buttons]

        fake_telegram.callback_query(question, button=choice)
        answered = await fake_telegram.wait_for(count=2, chat_id=RESIDENT)

    assert answered[1].text == "Good, since December 2024."
    assert [label for label, _ in answered[1].buttons] == [HELPFUL, NOT_HELPFUL]
    assert len(fake_telegram.answered_callbacks()) == 1


async def test_a_vote_is_stored_and_thanked_and_voting_again_changes_it(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        fake_telegram.private_message("What is Ofsted?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        fake_telegram.callback_query(answer, button=HELPFUL)
        await fake_telegram.wait_for(lambda: len(fake_telegram.answered_callbacks()) == 1)
        fake_telegram.callback_query(answer, button=NOT_HELPFUL)
        await fake_telegram.wait_for(lambda: len(fake_telegram.answered_callbacks()) == 2)

    assert [c.text for c in fake_telegram.answered_callbacks()] == [VOTE_THANKS, VOTE_THANKS]
    store = await open_store(bot_settings)
    try:
        votes = await store.votes_by(RESIDENT)
    finally:
        await store.close()
    assert [(vote.entry_id, vote.helpful) for vote in votes] == [("what-is-ofsted", False)]


async def test_a_long_answer_is_split_below_the_limit_and_its_buttons_fit_in_64_bytes(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        fake_telegram.private_message("improvement plan progress reports", user_id=RESIDENT)
        messages = await fake_telegram.wait_for(count=2, chat_id=RESIDENT)
        last = messages[-1]
        assert all(len(message.raw_text) <= 4096 for message in messages)
        assert [message.buttons for message in messages[:-1]] == [[]]
        assert all(len(data.encode()) <= 64 for _, data in last.buttons)
        fake_telegram.callback_query(last, button=HELPFUL)
        await fake_telegram.wait_for(lambda: fake_telegram.answered_callbacks())

    paragraph = LONG_PARAGRAPH.strip()
    shown = "\n\n".join(message.text for message in messages)
    assert shown == "\n\n".join([paragraph] * 3 + ["Source: Improvement board papers"])
    store = await open_store(bot_settings)
    try:
        assert [vote.entry_id for vote in await store.votes_by(RESIDENT)] == [LONG_ENTRY_ID]
    finally:
        await store.close()


async def test_the_emergency_reply_comes_whenever_a_child_may_be_at_risk(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        fake_telegram.private_message("a child is being hurt next door", user_id=RESIDENT)
        [reply] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert reply.text.startswith("If a child is in immediate danger, call the police on 999.")
    assert reply.buttons == []


async def test_an_unknown_question_gets_the_honest_fallback(start_bot, fake_telegram):
    async with start_bot():
        fake_telegram.private_message("When is my bin collection?", user_id=RESIDENT)
        [reply] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert reply.text == "Sorry, I can't answer that. Please contact the council."


async def test_an_edited_question_is_answered_again(start_bot, fake_telegram: FakeTelegram):
    async with start_bot():
        sent = fake_telegram.private_message("When is my bin collection?", user_id=RESIDENT)
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        fake_telegram.edited_message(sent, "What is the partnership with Camden?")
        replies = await fake_telegram.wait_for(count=2, chat_id=RESIDENT)
    assert replies[1].text == "Camden gave Croydon peer support from 2018."


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice", "location", "document"])
async def test_anything_but_text_gets_a_polite_text_only_reply(
    start_bot, fake_telegram: FakeTelegram, kind: str
):
    async with start_bot():
        fake_telegram.media_message(kind, user_id=RESIDENT)
        [reply] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert reply.text == TEXT_ONLY


async def test_in_a_group_only_commands_and_mentions_are_answered(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        fake_telegram.group_message("What is Ofsted?", user_id=RESIDENT)
        fake_telegram.media_message("photo", chat_id=DEFAULT_GROUP_ID, user_id=RESIDENT)
        mention = fake_telegram.group_message(
            "What is the partnership with Camden?", user_id=RESIDENT, mention_bot=True
        )
        fake_telegram.command("help", chat_id=DEFAULT_GROUP_ID, mention_bot=True)
        await fake_telegram.wait_for(count=2, chat_id=DEFAULT_GROUP_ID)
    # Stopping the bot finished every update it had received, so nothing else is coming.
    replies = fake_telegram.sent_messages(DEFAULT_GROUP_ID)
    assert sorted(reply.text for reply in replies) == sorted(
        ["Camden gave Croydon peer support from 2018.", HELP]
    )
    answer = next(reply for reply in replies if reply.text != HELP)
    assert answer.reply_to_message_id == mention["message"]["message_id"]


async def test_a_flooding_user_gets_one_notice_and_others_are_unaffected(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        for number in range(25):
            fake_telegram.private_message(f"What is Ofsted? ({number})", user_id=RESIDENT)
        fake_telegram.private_message("What is Ofsted?", user_id=OTHER_RESIDENT)
        await fake_telegram.wait_for(count=21, chat_id=RESIDENT)
        await fake_telegram.wait_for(count=1, chat_id=OTHER_RESIDENT)
    texts = fake_telegram.sent_texts(RESIDENT)
    slow_downs = [text for text in texts if "very quickly" in text]
    assert len(texts) == 21
    assert len(slow_downs) == 1
    assert fake_telegram.sent_texts(OTHER_RESIDENT)[0].startswith("Ofsted inspects")


# Commands


async def test_the_commands_are_registered_for_the_menu_at_start_up(start_bot, fake_telegram):
    async with start_bot():
        pass
    assert [c["command"] for c in fake_telegram.commands()] == [
        "start",
        "help",
        "topics",
        "updates",
        "subscribe",
        "unsubscribe",
        "privacy",
        "forget",
    ]


async def test_start_explains_the_bot_and_gives_the_emergency_contacts(start_bot, fake_telegram):
    async with start_bot():
        fake_telegram.command("start", user_id=RESIDENT)
        [welcome] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert welcome.text.startswith(WELCOME)
    assert "nobody watches this chat" in welcome.text
    assert "call the police on 999" in welcome.text
    assert "020 8255 2888" in welcome.text


@pytest.mark.parametrize(
    ("command", "reply"), [("help", HELP), ("privacy", PRIVACY.format(days=180))]
)
async def test_help_and_privacy_say_what_they_should(start_bot, fake_telegram, command, reply):
    async with start_bot():
        fake_telegram.command(command, user_id=RESIDENT)
        [sent] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert sent.text == reply


async def test_an_unknown_command_gets_the_help(start_bot, fake_telegram):
    async with start_bot():
        fake_telegram.command("bins", user_id=RESIDENT)
        [sent] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert sent.text == HELP


async def test_subscribe_unsubscribe_and_their_repeats_are_stored_and_confirmed(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot() as app:
        for number, command in enumerate(
            ["subscribe", "subscribe", "unsubscribe", "unsubscribe", "subscribe"], start=1
        ):
            fake_telegram.command(command, user_id=RESIDENT)
            await fake_telegram.wait_for(count=number, chat_id=RESIDENT)
        assert await app.services.handlers.store.is_subscribed(RESIDENT)
    assert fake_telegram.sent_texts(RESIDENT) == [
        SUBSCRIBED,
        ALREADY_SUBSCRIBED,
        UNSUBSCRIBED,
        NOT_SUBSCRIBED,
        SUBSCRIBED,
    ]


async def test_the_start_subscribe_deep_link_welcomes_and_subscribes(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot() as app:
        fake_telegram.command("start", "subscribe", user_id=RESIDENT)
        welcome, confirmation = await fake_telegram.wait_for(count=2, chat_id=RESIDENT)
        assert await app.services.handlers.store.is_subscribed(RESIDENT)
    assert welcome.text.startswith(WELCOME)
    assert confirmation.text == SUBSCRIBED


async def test_forget_deletes_everything_stored_about_the_user(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot() as app:
        store = app.services.handlers.store
        fake_telegram.command("subscribe", user_id=RESIDENT)
        fake_telegram.private_message("What is Ofsted?", user_id=RESIDENT)
        messages = await fake_telegram.wait_for(count=2, chat_id=RESIDENT)
        answer = next(message for message in messages if message.buttons)
        fake_telegram.callback_query(answer, button=HELPFUL)
        await fake_telegram.wait_for(lambda: fake_telegram.answered_callbacks())
        assert await store.votes_by(RESIDENT)

        fake_telegram.command("forget", user_id=RESIDENT)
        await fake_telegram.wait_for(count=3, chat_id=RESIDENT)
        assert await store.votes_by(RESIDENT) == []
        assert not await store.is_subscribed(RESIDENT)
    assert fake_telegram.sent_texts(RESIDENT)[-1] == FORGOTTEN


async def test_updates_says_when_nothing_is_published(start_bot, fake_telegram):
    async with start_bot():
        fake_telegram.command("updates", user_id=RESIDENT)
        [sent] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert sent.text == NO_UPDATES


async def test_updates_lists_the_latest_newest_first(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    (bot_settings.faq_dir / "updates.yaml").write_text(
        """updates:
  - {id: a, date: 2024-12-03, title: Rated good & improving, summary: Ofsted <rated> us good.}
  - {id: b, date: 2025-06-01, title: New plan, summary: The plan is out., link: "https://x.org/?a=1&b=2"}
""",
        encoding="utf-8",
    )
    async with start_bot():
        fake_telegram.command("updates", user_id=RESIDENT)
        [sent] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert sent.text == (
        "Latest progress updates\n\n"
        "01 June 2025: New plan\nThe plan is out.\nRead more\n\n"
        "03 December 2024: Rated good & improving\nOfsted <rated> us good."
    )
    assert any(e.get("url") == "https://x.org/?a=1&b=2" for e in sent.entities)


async def test_topics_browses_by_tag_in_pages_down_to_an_answer(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        fake_telegram.command("topics", user_id=RESIDENT)
        [menu] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        assert menu.text == TOPICS_HEADING
        first_page = [label for label, _ in menu.buttons]
        assert first_page[-1] == NEXT_PAGE
        assert len(first_page) == 9  # eight topics and the next-page button

        fake_telegram.callback_query(menu, button=NEXT_PAGE)
        await fake_telegram.wait_for(lambda: fake_telegram.edits(RESIDENT))
        second_page = fake_telegram.message(RESIDENT, menu.message_id)
        labels = [b["text"] for row in second_page["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == ["social-work", "staff", "support", "other", PREVIOUS_PAGE]

        fake_telegram.callback_query((RESIDENT, menu.message_id), button=PREVIOUS_PAGE)
        await fake_telegram.wait_for(lambda: len(fake_telegram.edits(RESIDENT)) == 2)
        fake_telegram.callback_query((RESIDENT, menu.message_id), button="ratings")
        await fake_telegram.wait_for(lambda: len(fake_telegram.edits(RESIDENT)) == 3)
        topic = fake_telegram.message(RESIDENT, menu.message_id)
        assert topic["text"] == "Questions about ratings:"

        question = "What is the current Ofsted rating of Croydon's children's services?"
        fake_telegram.callback_query((RESIDENT, menu.message_id), button=question)
        answer = await fake_telegram.wait_for(count=2, chat_id=RESIDENT)
    assert answer[1].text == "Good, since December 2024."


# Logs


async def test_each_update_is_logged_as_one_structured_line_without_its_text(
    start_bot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="faqbot.events")
    async with start_bot():
        update = fake_telegram.private_message("What is Ofsted?", user_id=RESIDENT)
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    [line] = [r for r in caplog.records if r.getMessage() == "update"]
    assert line.event_fields["update_id"] == update["update_id"]
    assert line.event_fields["outcome"] == "answer"
    assert line.event_fields["entry"] == "what-is-ofsted"
    assert line.event_fields["latency_ms"] > 0
    assert "What is Ofsted?" not in caplog.text


async def test_the_admins_are_not_messaged_when_nothing_is_wrong(start_bot, fake_telegram):
    async with start_bot():
        fake_telegram.private_message("What is Ofsted?", user_id=RESIDENT)
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert fake_telegram.sent_messages(ADMIN_ID) == []


async def test_without_a_configured_key_one_is_made_beside_the_database_and_kept(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot(hash_key=None) as app:
        first = app.services.handlers.store.user_hash(RESIDENT)
    assert bot_settings.hash_key_file.parent == bot_settings.database_path.parent
    assert bot_settings.hash_key_file.exists()
    async with start_bot(hash_key=None) as app:
        assert app.services.handlers.store.user_hash(RESIDENT) == first


def test_faq_fixture_is_valid(telegram_faq_dir: Path):
    assert len(Responder.from_directory(telegram_faq_dir).corpus.entries) == 5
