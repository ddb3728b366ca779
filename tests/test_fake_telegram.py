"""The fake Bot API behaves like Telegram as python-telegram-bot sees it, over real HTTP."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from fake_telegram import (
    BLOCKED,
    BUTTON_DATA_INVALID,
    CHAT_NOT_FOUND,
    CONFLICT_WEBHOOK,
    DEACTIVATED,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    TEXT_EMPTY,
    TOO_LONG,
    FakeTelegram,
    RateLimit,
    WaitTimeout,
    local_request,
    parse_html,
)
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, MessageHandler, filters

RESIDENT = 42

# PTB 22 warns whenever a RetryAfter is made that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*`retry_after` will be of type:telegram.warnings.PTBDeprecationWarning"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_private_chat(RESIDENT)
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with connect(fake) as bot:
        yield bot


def connect(fake: FakeTelegram, token: str | None = None, read_timeout: float = 2) -> Bot:
    return Bot(
        token or fake.token,
        base_url=f"{fake.url}/bot",
        request=local_request(read_timeout=read_timeout),
        get_updates_request=local_request(),
    )


def retry_seconds(error: RetryAfter) -> float:
    """RetryAfter.retry_after: an int now, a timedelta with PTB_TIMEDELTA=1 and in PTB 23."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else value


def keyboard(*callback_data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"Button {n}", callback_data=data)]
            for n, data in enumerate(callback_data, 1)
        ]
    )


async def test_get_me_describes_the_bot(fake: FakeTelegram, bot: Bot):
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000000001, fake.bot_username, True)


async def test_a_sent_message_comes_back_as_telegram_returns_it_and_is_recorded(
    fake: FakeTelegram, bot: Bot
):
    message = await bot.send_message(
        RESIDENT,
        "Ofsted rated Croydon <b>Good</b> in 2024",
        parse_mode="HTML",
        reply_markup=keyboard("vote:x:1"),
    )

    assert message.text == "Ofsted rated Croydon Good in 2024"
    assert message.entities == (MessageEntity("bold", 21, 4),)
    assert message.chat.id == RESIDENT and message.from_user.is_bot
    [sent] = fake.sent_messages(RESIDENT)
    assert sent.message_id == message.message_id
    assert sent.text == "Ofsted rated Croydon Good in 2024"
    assert sent.raw_text == "Ofsted rated Croydon <b>Good</b> in 2024"
    assert sent.parse_mode == "HTML"
    assert sent.buttons == [("Button 1", "vote:x:1")]
    assert fake.sent_texts() == ["Ofsted rated Croydon Good in 2024"]


async def test_message_ids_count_up_in_each_chat(fake: FakeTelegram, bot: Bot):
    fake.add_private_chat(7)
    ids = [(await bot.send_message(chat, "hi")).message_id for chat in (RESIDENT, RESIDENT, 7)]
    assert ids == [1, 2, 1]


@pytest.mark.parametrize(
    ("html", "shown", "entity_types"),
    [
        ("<b>bold</b> <strong>strong</strong>", "bold strong", ["bold", "bold"]),
        (
            "<i>a</i><em>b</em><u>c</u><ins>d</ins>",
            "abcd",
            ["italic", "italic", "underline", "underline"],
        ),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc", ["strikethrough"] * 3),
        ('<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>', "xy", ["spoiler"] * 2),
        ("<code>x = 1</code>", "x = 1", ["code"]),
        ('<pre><code class="language-python">x</code></pre>', "x", ["pre"]),
        ("<blockquote>quoted</blockquote>", "quoted", ["blockquote"]),
        (
            '<a href="https://www.croydon.gov.uk/?a=1&amp;b=&quot;2&quot;">council</a>',
            "council",
            ["text_link"],
        ),
        (
            "&lt;tag&gt; &amp; &quot;quotes&quot; &#39;single&#39; &#x1F600;",
            "<tag> & \"quotes\" 'single' 😀",
            [],
        ),
    ],
)
async def test_html_telegram_accepts_is_shown_as_text_with_entities(
    bot: Bot, html: str, shown: str, entity_types: list[str]
):
    message = await bot.send_message(RESIDENT, html, parse_mode="HTML")
    assert message.text == shown
    assert [entity.type for entity in message.entities] == entity_types


async def test_a_link_keeps_its_decoded_url(bot: Bot):
    html = '<a href="https://example.org/?a=1&amp;b=&quot;2&quot;">report</a>'
    message = await bot.send_message(RESIDENT, html, parse_mode="HTML")
    assert message.entities[0].url == 'https://example.org/?a=1&b="2"'


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<br>line", 'Unsupported start tag "br" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("1 <2", "Unclosed start tag at byte offset 2"),
        ("<b>bold", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a href=https://x.org>x</a>", "Unexpected end of name token at byte offset 8"),
        (
            "£ <i x>y</i>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 3',
        ),
        (
            "R&D",
            'Character "&" at byte offset 1 is not part of an entity and must be escaped as &amp;',
        ),
        (
            "a&nbsp;b",
            'Character "&" at byte offset 1 is not part of an entity and must be escaped as &amp;',
        ),
        (
            "2 > 1",
            'Character ">" at byte offset 2 is not part of a tag and must be escaped as &gt;',
        ),
    ],
)
async def test_html_telegram_refuses_raises_bad_request_with_telegrams_reason(
    fake: FakeTelegram, bot: Bot, html: str, description: str
):
    with pytest.raises(BadRequest, match="an't parse entities"):
        await bot.send_message(RESIDENT, html, parse_mode="HTML")
    assert fake.calls("sendMessage")[-1].description == (
        f"Bad Request: can't parse entities: {description}"
    )
    assert fake.sent_messages() == []


def test_without_strict_html_a_bare_ampersand_is_kept_as_telegram_does():
    assert parse_html("R&D &lt &nbsp; 2 > 1", strict=False) == ("R&D < &nbsp; 2 > 1", [])


async def test_plain_text_is_sent_as_it_is(bot: Bot):
    message = await bot.send_message(RESIDENT, "a < b & <i>not html</i>")
    assert message.text == "a < b & <i>not html</i>"


async def test_text_of_4096_characters_is_accepted_and_4097_is_too_long(
    fake: FakeTelegram, bot: Bot
):
    await bot.send_message(RESIDENT, "x" * 4096)
    # Tags and entities do not count: Telegram measures the text after parsing.
    await bot.send_message(RESIDENT, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(RESIDENT, "x" * 4097)
    assert fake.calls()[-1].description == TOO_LONG
    assert len(fake.sent_messages()) == 2


async def test_length_is_counted_in_utf16_code_units_so_emoji_count_twice(bot: Bot):
    await bot.send_message(RESIDENT, "😀" * 2048)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(RESIDENT, "😀" * 2048 + "x")


async def test_surrounding_whitespace_is_trimmed_before_counting(bot: Bot):
    message = await bot.send_message(RESIDENT, "\n  " + "x" * 4096 + "  \n")
    assert message.text == "x" * 4096


@pytest.mark.parametrize("text", ["", "   \n\t ", "<b> </b>"])
async def test_empty_or_blank_text_is_refused(fake: FakeTelegram, bot: Bot, text: str):
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(RESIDENT, text, parse_mode="HTML")
    assert fake.calls()[-1].description == TEXT_EMPTY


async def test_a_blocked_chat_raises_forbidden_until_unblocked(fake: FakeTelegram, bot: Bot):
    fake.block(RESIDENT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(RESIDENT, "Update: new inspection report")
    assert fake.calls()[-1].description == BLOCKED
    fake.unblock(RESIDENT)
    await bot.send_message(RESIDENT, "Update: new inspection report")
    assert fake.sent_texts(RESIDENT) == ["Update: new inspection report"]


async def test_a_deleted_account_raises_forbidden_user_is_deactivated(fake: FakeTelegram, bot: Bot):
    fake.deactivate(RESIDENT)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(RESIDENT, "hello")
    assert fake.calls()[-1].description == DEACTIVATED


async def test_an_unknown_chat_is_not_found(fake: FakeTelegram, bot: Bot):
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(999, "hello")
    fake.forget_chat(RESIDENT)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(RESIDENT, "hello")
    assert fake.calls()[-1].description == CHAT_NOT_FOUND


async def test_auto_created_chats_accept_any_id():
    async with FakeTelegram(auto_create_chats=True) as fake:
        async with connect(fake) as bot:
            await bot.send_message(123456, "hello")
            await bot.send_message(-100777, "hello group")
        assert fake.sent_texts(123456) == ["hello"]


async def test_blocking_the_bot_sends_a_my_chat_member_update(fake: FakeTelegram, bot: Bot):
    fake.block(RESIDENT)
    fake.unblock(RESIDENT)
    blocked, unblocked = await bot.get_updates()
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert blocked.my_chat_member.old_chat_member.status == "member"
    assert unblocked.my_chat_member.new_chat_member.status == "member"
    assert blocked.effective_chat.id == RESIDENT


async def test_the_per_chat_rate_limit_answers_429_with_retry_after(bot: Bot, fake: FakeTelegram):
    fake.set_rate_limits(per_chat=RateLimit(2, per_seconds=5))
    fake.add_private_chat(7)
    await bot.send_message(RESIDENT, "one")
    await bot.send_message(RESIDENT, "two")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(RESIDENT, "three")
    assert retry_seconds(raised.value) in (5, 4)  # whole seconds until the window frees a slot
    await bot.send_message(7, "another chat is not limited")
    assert fake.too_many_requests_count == 1
    assert fake.sent_texts() == ["one", "two", "another chat is not limited"]
    assert fake.calls()[-2].description.startswith("Too Many Requests: retry after ")


async def test_the_overall_rate_limit_counts_every_chat(fake: FakeTelegram, bot: Bot):
    fake.set_rate_limits(overall=RateLimit(3, per_seconds=0.3))
    for chat in range(1, 4):
        fake.add_private_chat(chat)
        await bot.send_message(chat, "hi")
    fake.add_private_chat(4)
    with pytest.raises(RetryAfter):
        await bot.send_message(4, "hi")
    await asyncio.sleep(0.35)  # the window slides on
    await bot.send_message(4, "hi")
    assert fake.too_many_requests_count == 1


async def test_an_injected_flood_error_raises_retry_after_with_its_seconds(
    fake: FakeTelegram, bot: Bot
):
    fake.flood_next("sendMessage", retry_after=17)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(RESIDENT, "hi")
    assert retry_seconds(raised.value) == 17
    assert fake.calls()[-1].description == "Too Many Requests: retry after 17"
    await bot.send_message(RESIDENT, "hi")
    assert fake.too_many_requests_count == 1


@pytest.mark.parametrize("status", [500, 502])
async def test_an_injected_server_error_raises_network_error_once(
    fake: FakeTelegram, bot: Bot, status: int
):
    fake.fail_next("sendMessage", status=status)
    with pytest.raises(NetworkError):
        await bot.send_message(RESIDENT, "first try")
    await bot.send_message(RESIDENT, "second try")
    assert fake.sent_texts() == ["second try"]
    assert [call.status for call in fake.calls("sendMessage")] == [status, 200]


async def test_a_server_error_after_delivery_still_delivers_the_message(
    fake: FakeTelegram, bot: Bot
):
    fake.fail_next("sendMessage", status=500, after_delivery=True)
    with pytest.raises(NetworkError):
        await bot.send_message(RESIDENT, "did it arrive?")
    assert fake.sent_texts() == ["did it arrive?"]


async def test_faults_can_target_one_chat(fake: FakeTelegram, bot: Bot):
    fake.add_private_chat(7)
    fake.fail_next("sendMessage", chat_id=7)
    await bot.send_message(RESIDENT, "fine")
    with pytest.raises(NetworkError):
        await bot.send_message(7, "fails")


async def test_a_hung_request_times_out_and_is_never_delivered(fake: FakeTelegram):
    fake.hang_next("sendMessage", seconds=3)
    async with connect(fake, read_timeout=0.2) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(RESIDENT, "lost")
        assert time.monotonic() - started < 1
        await fake.wait_for(lambda: fake.calls("sendMessage"))
    assert fake.sent_messages() == []
    assert fake.calls("sendMessage")[0].status is None


async def test_a_hang_after_delivery_times_out_but_the_message_arrived(fake: FakeTelegram):
    fake.hang_next("sendMessage", seconds=3, after_delivery=True)
    async with connect(fake, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(RESIDENT, "arrived anyway")
    assert fake.sent_texts() == ["arrived anyway"]


async def test_long_polling_returns_as_soon_as_an_update_is_injected(fake: FakeTelegram, bot: Bot):
    async def resident_writes_soon() -> None:
        await asyncio.sleep(0.1)
        fake.private_message("When is the next inspection?", user_id=RESIDENT)

    writer = asyncio.create_task(resident_writes_soon())
    started = time.monotonic()
    [update] = await bot.get_updates(timeout=5, read_timeout=2)
    await writer
    assert time.monotonic() - started < 1
    assert update.message.text == "When is the next inspection?"
    assert update.effective_user.id == RESIDENT


async def test_long_polling_returns_nothing_after_its_timeout(bot: Bot):
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert 0.25 < time.monotonic() - started < 1.5


async def test_an_offset_confirms_every_earlier_update(fake: FakeTelegram, bot: Bot):
    for text in ("one", "two", "three"):
        fake.private_message(text)
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two] == ["one", "two"]
    again = await bot.get_updates()  # nothing confirmed yet
    assert [u.message.text for u in again] == ["one", "two", "three"]
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["three"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()


async def test_allowed_updates_filters_update_types(fake: FakeTelegram, bot: Bot):
    fake.private_message("a question")
    fake.block(RESIDENT)
    updates = await bot.get_updates(allowed_updates=["my_chat_member"])
    assert [u.my_chat_member is not None for u in updates] == [True]


async def test_callback_data_of_64_bytes_is_accepted_and_65_is_refused(
    fake: FakeTelegram, bot: Bot
):
    await bot.send_message(RESIDENT, "ok", reply_markup=keyboard("x" * 64))
    await bot.send_message(RESIDENT, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    for too_long in ("x" * 65, "é" * 33):
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(RESIDENT, "too long", reply_markup=keyboard(too_long))
        assert fake.calls()[-1].description == BUTTON_DATA_INVALID
    assert fake.sent_texts() == ["ok", "ok"]


async def test_pressing_a_button_gives_a_callback_query_that_can_be_answered_once(
    fake: FakeTelegram, bot: Bot
):
    message = await bot.send_message(RESIDENT, "Did you mean…", reply_markup=keyboard("choice:a"))
    fake.callback_query(fake.sent_messages()[0], button="Button 1")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert (query.data, query.message.message_id, query.from_user.id) == (
        "choice:a",
        message.message_id,
        RESIDENT,
    )

    await bot.answer_callback_query(query.id, text="Thanks")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)
    assert fake.calls()[-1].description == QUERY_TOO_OLD
    assert [(a.callback_query_id, a.text) for a in fake.answered_callbacks()] == [
        (query.id, "Thanks")
    ]


def test_only_buttons_on_the_message_can_be_pressed(fake: FakeTelegram):
    with pytest.raises(ValueError, match="no message"):
        fake.callback_query((RESIDENT, 99), "choice:a")


async def test_editing_text_and_keyboard_and_the_not_modified_error(fake: FakeTelegram, bot: Bot):
    message = await bot.send_message(RESIDENT, "Was this helpful?", reply_markup=keyboard("v:1"))
    edited = await bot.edit_message_text("Thanks for your feedback", RESIDENT, message.message_id)
    assert edited.text == "Thanks for your feedback" and edited.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Thanks for your feedback", RESIDENT, message.message_id)
    assert fake.calls()[-1].description == NOT_MODIFIED
    await bot.edit_message_reply_markup(RESIDENT, message.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", RESIDENT, 999)
    assert [(e.method, e.text) for e in fake.edits(RESIDENT)] == [
        ("editMessageText", "Thanks for your feedback"),
        ("editMessageReplyMarkup", None),
    ]
    assert fake.message(RESIDENT, message.message_id)["reply_markup"] == keyboard("a").to_dict()


async def test_commands_are_kept_per_scope(fake: FakeTelegram, bot: Bot):
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("stats", "Statistics")], scope=BotCommandScopeChat(RESIDENT)
    )
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(RESIDENT))
    assert [c.command for c in scoped] == ["stats"]
    assert fake.commands() == [
        {"command": "start", "description": "Start"},
        {"command": "help", "description": "Help"},
    ]
    assert fake.commands({"type": "chat", "chat_id": RESIDENT}) == [
        {"command": "stats", "description": "Statistics"}
    ]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_chat_actions_are_recorded(fake: FakeTelegram, bot: Bot):
    await bot.send_chat_action(RESIDENT, "typing")
    assert fake.chat_actions(RESIDENT) == ["typing"]


@pytest.mark.parametrize(
    ("kind", "attribute"),
    [
        ("photo", "photo"),
        ("sticker", "sticker"),
        ("voice", "voice"),
        ("location", "location"),
        ("document", "document"),
    ],
)
async def test_non_text_messages_parse_as_telegram_objects(
    fake: FakeTelegram, bot: Bot, kind: str, attribute: str
):
    update = Update.de_json(fake.media_message(kind), bot)
    assert getattr(update.message, attribute)
    assert update.message.text is None


async def test_commands_and_mentions_carry_the_entities_handlers_look_for(
    fake: FakeTelegram, bot: Bot
):
    start = Update.de_json(fake.command("start", "subscribe"), bot)
    assert start.message.text == "/start subscribe"
    assert filters.COMMAND.check_update(start)
    assert start.message.entities == (MessageEntity("bot_command", 0, 6),)

    in_group = Update.de_json(fake.group_message("what is a CP plan?", mention_bot=True), bot)
    assert in_group.message.text == f"@{fake.bot_username} what is a CP plan?"
    assert in_group.effective_chat.type == "supergroup"
    assert filters.Entity("mention").check_update(in_group)


async def test_an_edited_message_keeps_its_id(fake: FakeTelegram, bot: Bot):
    original = fake.private_message("wen is the inspection")
    edited = Update.de_json(fake.edited_message(original, "when is the inspection"), bot)
    assert edited.edited_message.text == "when is the inspection"
    assert edited.edited_message.message_id == original["message"]["message_id"]


async def test_parameters_may_come_as_json_and_errors_have_telegrams_shape(fake: FakeTelegram):
    async with aiohttp.ClientSession() as session:
        url = f"{fake.url}/bot{fake.token}"
        async with session.post(
            f"{url}/sendMessage", json={"chat_id": RESIDENT, "text": "from json"}
        ) as response:
            body = await response.json()
        assert body["ok"] is True and body["result"]["text"] == "from json"
        async with session.post(f"{url}/sendMessage", json={"chat_id": RESIDENT}) as response:
            assert (response.status, await response.json()) == (
                400,
                {"ok": False, "error_code": 400, "description": TEXT_EMPTY},
            )
        async with session.post(f"{url}/launchRocket") as response:
            assert (response.status, await response.json()) == (
                404,
                {"ok": False, "error_code": 404, "description": "Not Found"},
            )
        async with session.post(f"{fake.url}/bot1:wrong/getMe") as response:
            assert (response.status, await response.json()) == (
                401,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )


async def test_a_wrong_token_raises_invalid_token(fake: FakeTelegram):
    with pytest.raises(InvalidToken):
        async with connect(fake, token="1:wrong"):
            pass


async def test_wait_for_returns_once_the_bot_has_sent_enough(fake: FakeTelegram, bot: Bot):
    async def send_later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(RESIDENT, "one")
        await bot.send_message(RESIDENT, "two")

    sender = asyncio.create_task(send_later())
    sent = await fake.wait_for(count=2, chat_id=RESIDENT, timeout=2)
    await sender
    assert [message.text for message in sent] == ["one", "two"]
    with pytest.raises(WaitTimeout, match="3 sent message"):
        await fake.wait_for(count=3, timeout=0.1)


async def test_a_real_application_polls_and_replies_through_the_fake(fake: FakeTelegram):
    async def echo(update: Update, context: object) -> None:
        await update.effective_message.reply_text(f"You said: {update.effective_message.text}")

    async def start(update: Update, context: object) -> None:
        await update.effective_message.reply_text(f"Welcome ({' '.join(context.args)})")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .request(local_request())
        .get_updates_request(local_request())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0)
        try:
            fake.command("start", "subscribe", user_id=RESIDENT)
            fake.private_message("hello", user_id=RESIDENT)
            await fake.wait_for(count=2, chat_id=RESIDENT)
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake.sent_texts(RESIDENT) == ["Welcome (subscribe)", "You said: hello"]
    assert fake.calls()[0].method == "getMe"
    assert "deleteWebhook" in [call.method for call in fake.calls()]
    assert fake.pending_update_count == 0  # the final getUpdates confirmed both


async def test_webhook_mode_delivers_updates_with_the_secret_token(fake: FakeTelegram):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .request(local_request())
        .get_updates_request(local_request())
        .build()
    )

    async def echo(update: Update, context: object) -> None:
        await update.effective_message.reply_text("via webhook")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            secret_token="s3cret",
            webhook_url=f"http://127.0.0.1:{port}/hook",
        )
        try:
            assert fake.webhook_url == f"http://127.0.0.1:{port}/hook"
            update = fake.private_message("hello", user_id=RESIDENT)
            assert await fake.post_update(fake.webhook_url, update, "wrong") == 403
            assert await fake.deliver_to_webhook() == [200]
            await fake.wait_for(count=1)
            async with connect(fake) as bot:
                with pytest.raises(Conflict):
                    await bot.get_updates()
            assert fake.calls()[-1].description == CONFLICT_WEBHOOK
        finally:
            await app.updater.stop()
            await app.stop()
    assert fake.sent_texts() == ["via webhook"]
