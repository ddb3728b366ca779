"""A fake Telegram Bot API server, so tests run the real python-telegram-bot over real HTTP offline.

It listens on 127.0.0.1 on a free port, answers the Bot API methods the bot uses with the shapes
and the exact error texts of the real server, and records every request. Tests inject updates
(messages, button presses, blocks) and wait for what the bot sent, without fixed sleeps::

    from telegram.ext import ApplicationBuilder
    from fake_telegram import FakeTelegram

    async def test_bot_answers_a_question():
        async with FakeTelegram() as fake:
            app = (
                ApplicationBuilder()
                .token(fake.token)
                .base_url(f"{fake.url}/bot")
                .base_file_url(f"{fake.url}/file/bot")
                .build()
            )
            app.add_handler(...)
            async with app:                      # initialize() calls getMe
                await app.start()
                await app.updater.start_polling(poll_interval=0)
                try:
                    fake.private_message("What is Croydon's Ofsted rating?", user_id=42)
                    [reply] = await fake.wait_for(count=1, chat_id=42)
                    assert "Good" in reply.text       # .text is what the resident sees
                finally:
                    await app.updater.stop()
                    await app.stop()

`update = fake.private_message(...)` also returns the update as a dict, so a test without polling
can run `await app.process_update(Update.de_json(update, app.bot))`.

Each PTB `HTTPXRequest` loads the CA certificates (about 0.1 s; a Bot makes two). The fake speaks
plain HTTP, so tests can skip that with `local_request()`:
`ApplicationBuilder()...request(local_request()).get_updates_request(local_request())`.

What it models (Telegram's own error texts, from tdlib/telegram-bot-api and tdlib/td):
- getMe, getUpdates (offset, limit, long-poll timeout, allowed_updates, 409 when a second poller
  or a webhook is active), setWebhook/deleteWebhook/getWebhookInfo, setMyCommands/getMyCommands/
  deleteMyCommands per scope and language, sendMessage, editMessageText, editMessageReplyMarkup,
  deleteMessage, answerCallbackQuery, sendChatAction. Other methods: 404 "Not Found".
- parse_mode HTML parsed like Telegram's parser (tags b strong i em u ins s strike del a code pre
  span class="tg-spoiler" tg-spoiler blockquote; entities &lt; &gt; &amp; &quot; and numeric).
  By default (`strict_html=True`) it is stricter than Telegram in one way: a bare "&" or ">"
  is rejected, as the Bot API documentation demands, because Telegram silently turns text like
  "&lt" into "<" and a missing html.escape() should fail a test, not mangle an answer.
- "message text is empty", "message is too long" (over 4096 UTF-16 code units after entity
  parsing and trimming), BUTTON_DATA_INVALID, "message is not modified", unknown/blocked/
  deactivated chats, rate limits and injected faults (5xx, 429, hangs).
Not modelled: files and media sending, Markdown parsing (text is kept as sent), inline mode,
webhook HTTPS/port checks (so a bot can use a local http webhook), entity detection in the bot's
own plain text.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

JSON = dict[str, Any]

DEFAULT_TOKEN = "7000000001:AAFakeTelegramTokenForTestsOnly_x"
DEFAULT_BOT_USERNAME = "croydon_faq_test_bot"
DEFAULT_USER_ID = 1001
DEFAULT_GROUP_ID = -1001000000001
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64

# Error descriptions exactly as the Bot API writes them.
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
BLOCKED = "Forbidden: bot was blocked by the user"
DEACTIVATED = "Forbidden: user is deactivated"
CHAT_NOT_FOUND = "Bad Request: chat not found"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
TEXT_EMPTY = "Bad Request: message text is empty"
TOO_LONG = "Bad Request: message is too long"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
BAD_MARKUP = "Bad Request: can't parse reply keyboard markup JSON object"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_BE_EDITED = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
BOT_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
BOT_COMMANDS_TOO_MUCH = "Bad Request: BOT_COMMANDS_TOO_MUCH"
CONFLICT_POLLING = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
SERVER_ERRORS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Update types sent when allowed_updates is empty or never given.
_DEFAULT_UPDATE_TYPES_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}
_CHAT_ACTIONS = frozenset(
    """typing upload_photo record_video upload_video record_voice upload_voice upload_document
    choose_sticker find_location record_video_note upload_video_note""".split()
)
_INLINE_BUTTON_ACTIONS = frozenset(
    """url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat
    switch_inline_query_chosen_chat copy_text callback_game pay""".split()
)
# Parameters the Bot API takes as strings; every other form field is JSON-encoded by clients.
_STRING_PARAMETERS = frozenset(
    """text caption parse_mode callback_query_id url secret_token action language_code
    inline_message_id ip_address business_connection_id message_effect_id description
    short_description name data""".split()
)
# The Bot API methods the fake answers; method names are case-insensitive, as at Telegram.
_METHODS = tuple(
    """getMe getUpdates setWebhook deleteWebhook getWebhookInfo setMyCommands getMyCommands
    deleteMyCommands sendMessage editMessageText editMessageReplyMarkup deleteMessage
    answerCallbackQuery sendChatAction""".split()
)


# --------------------------------------------------------------------------------------------
# Telegram's HTML parser (a port of tdlib's parse_html, td/telegram/MessageEntity.cpp)
# --------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    """Why Telegram refuses the HTML, e.g. 'Unsupported start tag "br" at byte offset 0'."""


_HTML_TAGS = frozenset(
    """a b strong i em s strike del u ins span tg-spoiler pre code blockquote""".split()
)
_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v"
_ASCII_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_HEX_DIGITS = "0123456789abcdefABCDEF"
_NAME_TOKEN = _ASCII_LETTERS + _DIGITS + ".-"
_STRICT_SPECIAL = re.compile(r"[<>&]")
_LENIENT_SPECIAL = re.compile(r"[<&]")


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JSON]]:
    """The text Telegram shows for `text` sent with parse_mode HTML, and its entities.

    Raises HtmlParseError with Telegram's wording when Telegram would refuse it. With `strict`,
    a bare "&" or ">" is refused too (see the module docstring).
    """
    special = _STRICT_SPECIAL if strict else _LENIENT_SPECIAL
    pieces: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    # Open tags: name, argument, UTF-16 offset where the entity starts, index into `pieces`.
    open_tags: list[tuple[str, str, int, int]] = []
    length = len(text)
    i = 0
    while i < length:
        found = special.search(text, i)
        if found is None:
            pieces.append(text[i:])
            break
        position = found.start()
        if position > i:
            plain = text[i:position]
            pieces.append(plain)
            utf16 += utf16_length(plain)
        character = text[position]
        if character == "&":
            decoded = _decode_entity(text, position, strict)
            if decoded is None:
                if strict:
                    raise HtmlParseError(
                        f'Character "&" at byte offset {_byte_offset(text, position)} is not '
                        "part of an entity and must be escaped as &amp;"
                    )
                pieces.append("&")
                utf16 += 1
                i = position + 1
            else:
                value, i = decoded
                pieces.append(value)
                utf16 += utf16_length(value)
            continue
        if character == ">":
            raise HtmlParseError(
                f'Character ">" at byte offset {_byte_offset(text, position)} is not part of a '
                "tag and must be escaped as &gt;"
            )
        begin = position
        i = position + 1
        if i < length and text[i] == "/":
            i = _parse_end_tag(text, begin, open_tags, utf16, pieces, entities)
        else:
            i = _parse_start_tag(text, begin, strict, open_tags, utf16, len(pieces))
    if open_tags:
        raise HtmlParseError(f"Can't find end tag corresponding to start tag {open_tags[-1][0]}")
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(pieces), entities


def _parse_start_tag(
    text: str,
    begin: int,
    strict: bool,
    open_tags: list[tuple[str, str, int, int]],
    utf16: int,
    piece_index: int,
) -> int:
    """Read `<name attr=value ...>` starting at `begin`; return the index after the `>`."""
    length = len(text)
    i = begin + 1
    while i < length and text[i] not in _SPACES and text[i] != ">":
        i += 1
    if i >= length:
        raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    name = text[begin + 1 : i].lower()
    if name not in _HTML_TAGS:
        raise HtmlParseError(
            f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, begin)}'
        )
    argument = ""
    while True:
        while i < length and text[i] in _SPACES:
            i += 1
        if i < length and text[i] == ">":
            break
        attribute_begin = i
        while i < length and text[i] not in _SPACES and text[i] != "=":
            if name == "blockquote" and text[i] == ">":
                break
            i += 1
        attribute = text[attribute_begin:i]
        if not attribute:
            raise HtmlParseError(
                f'Empty attribute name in the tag "{name}" at byte offset '
                f"{_byte_offset(text, begin)}"
            )
        while i < length and text[i] in _SPACES:
            i += 1
        if i >= length or text[i] != "=":
            if name == "blockquote" and attribute.lower() == "expandable":
                argument = "expandable"
                continue
            raise HtmlParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" at '
                f"byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < length and text[i] in _SPACES:
            i += 1
        if i >= length:
            raise HtmlParseError(
                f'Unclosed start tag "{name}" at byte offset {_byte_offset(text, begin)}'
            )
        if text[i] not in "'\"":
            token_begin = i
            while i < length and text[i] in _NAME_TOKEN:
                i += 1
            value = text[token_begin:i].lower()
            if i < length and text[i] not in _SPACES and text[i] != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}"
                )
        else:
            quote = text[i]
            i += 1
            value_pieces: list[str] = []
            while i < length and text[i] != quote:
                if text[i] == "&":
                    decoded = _decode_entity(text, i, strict)
                    if decoded is not None:
                        value_pieces.append(decoded[0])
                        i = decoded[1]
                        continue
                    if strict:
                        raise HtmlParseError(
                            f'Character "&" at byte offset {_byte_offset(text, i)} is not part '
                            "of an entity and must be escaped as &amp;"
                        )
                value_pieces.append(text[i])
                i += 1
            if i < length:
                i += 1
            value = "".join(value_pieces)
        if i >= length:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        attribute = attribute.lower()
        if name == "a" and attribute == "href":
            argument = value
        elif name == "code" and attribute == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif name == "span" and attribute == "class":
            argument = value
    if name == "span" and argument != "tg-spoiler":
        raise HtmlParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    open_tags.append((name, argument, utf16, piece_index))
    return i + 1


def _parse_end_tag(
    text: str,
    begin: int,
    open_tags: list[tuple[str, str, int, int]],
    utf16: int,
    pieces: list[str],
    entities: list[JSON],
) -> int:
    """Read `</name>` starting at `begin`, closing the innermost tag; return the index after it."""
    length = len(text)
    if not open_tags:
        raise HtmlParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
    i = begin + 1
    while i < length and text[i] not in _SPACES and text[i] != ">":
        i += 1
    end_name = text[begin + 2 : i].lower()
    while i < length and text[i] in _SPACES:
        i += 1
    if i >= length or text[i] != ">":
        raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
    name, argument, offset, piece_index = open_tags.pop()
    if end_name and end_name != name:
        raise HtmlParseError(
            f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
            f'expected "</{name}>", found "</{end_name}>"'
        )
    if utf16 > offset:
        entity: JSON = {"offset": offset, "length": utf16 - offset}
        if name == "a":
            url = _link_url(argument or "".join(pieces[piece_index:]))
            if url is not None:
                entities.append({"type": "text_link", **entity, "url": url})
        elif name == "blockquote" and argument == "expandable":
            entities.append({"type": "expandable_blockquote", **entity})
        elif name in ("pre", "code"):
            _add_code_entity(entities, name, entity, argument)
        else:
            entities.append({"type": _ENTITY_TYPES[name], **entity})
    return i + 1


def _add_code_entity(entities: list[JSON], name: str, entity: JSON, language: str) -> None:
    """`<pre><code class="language-x">` (either way round) is one pre entity with a language."""
    span = (entity["offset"], entity["length"])
    last = entities[-1] if entities else None
    if last is not None and (last["offset"], last["length"]) == span:
        if name == "pre" and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"
            return
        if name == "code" and last["type"] == "pre" and language:
            last["language"] = language
            return
    if name == "code" and language:
        # Kept until the enclosing <pre> closes; dropped if there is none.
        entities.append({"type": "code", **entity, "language": language})
    else:
        entities.append({"type": name, **entity})


def _decode_entity(text: str, position: int, strict: bool) -> tuple[str, int] | None:
    """The character an entity at `position` stands for and the index after it, if it is one."""
    length = len(text)
    end = position + 1
    if end < length and text[end] == "#":
        end += 1
        if end < length and text[end] == "x":
            end += 1
            start = end
            while end < length and text[end] in _HEX_DIGITS:
                end += 1
            code = int(text[start:end], 16) if end > start else 0
        else:
            start = end
            while end < length and text[end] in _DIGITS:
                end += 1
            code = int(text[start:end]) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - position >= 10:
            return None
        if 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        value = chr(code)
    else:
        start = end
        while end < length and text[end] in _ASCII_LETTERS:
            end += 1
        named = _NAMED_ENTITIES.get(text[start:end])
        if named is None:
            return None
        value = named
    if end < length and text[end] == ";":
        return value, end + 1
    if strict:
        return None
    return value, end


def _link_url(url: str) -> str | None:
    """The URL Telegram keeps for a link, or None when it drops the link (keeping the text)."""
    url = url.strip()
    if re.match(r"(?i)(https?|tg|ton)://\S+$", url):
        return url
    if re.match(r"[\w-]+(\.[\w-]+)+(/\S*)?$", url):
        return f"http://{url}" + ("" if "/" in url else "/")
    return None


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def utf16_length(text: str) -> int:
    """Length as Telegram counts it: characters outside the BMP (most emoji) count twice."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _trim(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram drops leading and trailing whitespace, shortening entities that touch it."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_length(text[: len(text) - len(text.lstrip())])
    total = utf16_length(stripped)
    trimmed = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            trimmed.append({**entity, "offset": start, "length": end - start})
    return stripped, trimmed


# --------------------------------------------------------------------------------------------
# What the fake records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One Bot API call as the fake saw it. `status` is None if the client hung up first."""

    method: str
    params: JSON
    status: int | None
    description: str = ""


@dataclass(frozen=True)
class SentMessage:
    """A message the bot sent. `text` is what the resident sees; `raw_text` what the bot sent."""

    chat_id: int | str
    message_id: int
    text: str
    raw_text: str
    parse_mode: str | None
    entities: tuple[JSON, ...]
    reply_markup: JSON | None
    reply_to_message_id: int | None = None

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """The inline keyboard as (label, callback_data) pairs, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(button["text"], button.get("callback_data")) for row in rows for button in row]


@dataclass(frozen=True)
class Edit:
    """An editMessageText or editMessageReplyMarkup that Telegram accepted."""

    method: str
    chat_id: int | str
    message_id: int
    text: str | None
    raw_text: str | None
    parse_mode: str | None
    reply_markup: JSON | None


@dataclass(frozen=True)
class AnsweredCallback:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(frozen=True)
class RateLimit:
    """At most `max_messages` in any `per_seconds` sliding window."""

    max_messages: int
    per_seconds: float = 1.0


@dataclass
class _Chat:
    id: int | str
    type: str  # private, group, supergroup or channel
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    state: str = "active"  # active, blocked (the bot by the user) or deactivated (account gone)

    def to_dict(self) -> JSON:
        chat: JSON = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        return chat


@dataclass
class _Fault:
    method: str
    remaining: int
    status: int | None = None
    retry_after: int | None = None
    hang_seconds: float | None = None
    after_delivery: bool = False
    chat_id: int | str | None = None


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None


class ApiError(Exception):
    """A Bot API error response: raised inside a method, turned into the JSON error body."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class WaitTimeout(AssertionError):
    """`wait_for` gave up: the bot did not do what the test expected in time."""


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """An in-process Bot API server; use `async with FakeTelegram() as fake:` in a test."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = "Croydon FAQ (test)",
        overall_limit: RateLimit | None = None,
        per_chat_limit: RateLimit | None = None,
        strict_html: bool = True,
        auto_create_chats: bool = False,
    ):
        """`auto_create_chats` makes every chat id exist (for benchmarks with many subscribers);
        otherwise only chats the test created or sent updates from exist, as for a real bot."""
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.strict_html = strict_html
        self.auto_create_chats = auto_create_chats
        self.overall_limit = overall_limit
        self.per_chat_limit = per_chat_limit
        self.too_many_requests_count = 0  # every 429 given, by the limits or injected

        self.requests: list[RecordedRequest] = []
        self._sent: list[SentMessage] = []
        self._sent_by_chat: dict[int | str, list[SentMessage]] = {}
        self._edits: list[Edit] = []
        self._answered: list[AnsweredCallback] = []
        self._chat_actions: list[tuple[int | str, str]] = []
        self._commands: dict[tuple[str, Any, Any, str], list[JSON]] = {}

        self._chats: dict[int | str, _Chat] = {}
        self._users: dict[int, JSON] = {}
        self._messages: dict[tuple[int | str, int], JSON] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._open_callback_queries: set[str] = set()
        self._callback_ids = itertools.count(5_000_000_000_000_000_001)
        self._file_ids = itertools.count(1)

        self._updates: list[JSON] = []
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] | None = None
        self._poller: asyncio.Future[str] | None = None
        self._webhook: _Webhook | None = None

        self._faults: list[_Fault] = []
        self._overall_sent: deque[float] = deque()
        self._chat_sent: dict[int | str, deque[float]] = {}

        self._changed = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._port: int | None = None
        self._methods: dict[str, Callable[[JSON], Any]] = {
            name.lower(): getattr(self, f"_api_{name}") for name in _METHODS
        }
        self._method_names = {name.lower(): name for name in _METHODS}

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
        # handler_cancellation: a client that hangs up stops the handler, as at Telegram, so a
        # hung request the client gave up on is never delivered later.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Release long polls and hung requests, then close the server."""
        self._closing.set()
        self._wake_poller("closing")
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT; PTB's base_url is f"{url}/bot"."""
        if self._port is None:
            raise RuntimeError("the fake Telegram server is not started: await fake.start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def bot_username(self) -> str:
        return self.bot_user["username"]

    # ---- chats and users -------------------------------------------------------------------

    def add_private_chat(
        self,
        user_id: int,
        *,
        first_name: str = "Resident",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """A resident who has talked to the bot (so the bot can message them). Returns the chat."""
        user = self._user(user_id, first_name, last_name, username, language_code)
        chat = self._chats.get(user_id)
        if chat is None:
            chat = self._chats[user_id] = _Chat(
                id=user_id,
                type="private",
                first_name=user["first_name"],
                last_name=user.get("last_name"),
                username=user.get("username"),
            )
        return chat.to_dict()

    def add_group_chat(
        self,
        chat_id: int = DEFAULT_GROUP_ID,
        *,
        title: str = "Croydon parents",
        chat_type: str = "supergroup",
    ) -> JSON:
        """A group the bot is a member of. Returns the chat."""
        if chat_id not in self._chats:
            self._chats[chat_id] = _Chat(id=chat_id, type=chat_type, title=title)
        return self._chats[chat_id].to_dict()

    def block(self, user_id: int, *, notify: bool = True) -> JSON | None:
        """The resident blocks the bot: sends fail with 403. Queues my_chat_member if `notify`."""
        return self._set_private_state(user_id, "blocked", notify)

    def unblock(self, user_id: int, *, notify: bool = True) -> JSON | None:
        """The resident unblocks the bot (restarts it). Queues my_chat_member if `notify`."""
        return self._set_private_state(user_id, "active", notify)

    def deactivate(self, user_id: int) -> None:
        """The resident deleted their Telegram account: sends fail with 'user is deactivated'."""
        self._private_chat(user_id).state = "deactivated"

    def forget_chat(self, chat_id: int | str) -> None:
        """The chat no longer exists for the bot: sends fail with 'chat not found'."""
        self._chats.pop(chat_id, None)

    def _set_private_state(self, user_id: int, state: str, notify: bool) -> JSON | None:
        chat = self._private_chat(user_id)
        old = chat.state
        chat.state = state
        if not notify or old == state:
            return None
        member = {"status": "member"}
        statuses = {"blocked": {"status": "kicked", "until_date": 0}}
        return self.queue_update(
            {
                "my_chat_member": {
                    "chat": chat.to_dict(),
                    "from": self._users[user_id],
                    "date": _now(),
                    "old_chat_member": {"user": self.bot_user, **statuses.get(old, member)},
                    "new_chat_member": {"user": self.bot_user, **statuses.get(state, member)},
                }
            }
        )

    def _private_chat(self, user_id: int) -> _Chat:
        self.add_private_chat(user_id)
        return self._chats[user_id]

    def _user(
        self,
        user_id: int,
        first_name: str = "Resident",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        if user_id not in self._users:
            user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
            if last_name:
                user["last_name"] = last_name
            if username:
                user["username"] = username
            if language_code:
                user["language_code"] = language_code
            self._users[user_id] = user
        return self._users[user_id]

    # ---- updates the test injects ----------------------------------------------------------

    def queue_update(self, update: JSON) -> JSON:
        """Queue any update payload for getUpdates (an update_id is added). Returns it."""
        if "update_id" not in update:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        else:
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        self._updates.append(update)
        self._wake_poller("update")
        self._notify_change()
        return update

    def private_message(
        self,
        text: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Resident",
        username: str | None = None,
        language_code: str | None = "en",
        reply_to: int | None = None,
    ) -> JSON:
        """A resident writes to the bot in a private chat. Returns the queued update."""
        self.add_private_chat(
            user_id, first_name=first_name, username=username, language_code=language_code
        )
        return self._user_message(
            user_id, user_id, {"text": text, **_text_entities(text)}, reply_to
        )

    def group_message(
        self,
        text: str,
        *,
        chat_id: int = DEFAULT_GROUP_ID,
        user_id: int = DEFAULT_USER_ID,
        first_name: str = "Resident",
        mention_bot: bool = False,
        reply_to: int | None = None,
    ) -> JSON:
        """Someone writes in a group; `mention_bot` starts the text with @botusername."""
        self.add_group_chat(chat_id)
        self._user(user_id, first_name)
        mention = f"@{self.bot_username}"
        if mention_bot and mention.lower() not in text.lower():
            text = f"{mention} {text}"
        return self._user_message(
            chat_id, user_id, {"text": text, **_text_entities(text)}, reply_to
        )

    def command(
        self,
        name: str,
        args: str = "",
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        mention_bot: bool = False,
    ) -> JSON:
        """A /command (`command("start", "subscribe")` is the deep link t.me/bot?start=subscribe).

        In a group (`chat_id` given) `mention_bot` writes /name@botusername, as menus do.
        """
        command = f"/{name}@{self.bot_username}" if mention_bot else f"/{name}"
        text = f"{command} {args}" if args else command
        if chat_id is None:
            return self.private_message(text, user_id=user_id)
        return self.group_message(text, chat_id=chat_id, user_id=user_id)

    def media_message(
        self,
        kind: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        chat_id: int | None = None,
        caption: str | None = None,
    ) -> JSON:
        """A message without text: kind is photo, sticker, voice, location or document."""
        file_number = next(self._file_ids)
        file = {"file_id": f"fake-{kind}-{file_number}", "file_unique_id": f"u{file_number}"}
        contents: dict[str, JSON] = {
            "photo": {
                "photo": [
                    {**file, "width": 90, "height": 90, "file_size": 1_200},
                    {
                        **file,
                        "file_id": f"{file['file_id']}-large",
                        "width": 1280,
                        "height": 960,
                        "file_size": 120_000,
                    },
                ]
            },
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                }
            },
            "voice": {"voice": {**file, "duration": 4, "mime_type": "audio/ogg"}},
            "location": {"location": {"latitude": 51.3762, "longitude": -0.0982}},
            "document": {
                "document": {
                    **file,
                    "file_name": "letter.pdf",
                    "mime_type": "application/pdf",
                    "file_size": 34_000,
                }
            },
        }
        if kind not in contents:
            raise ValueError(f"media_message kind must be one of {sorted(contents)}, not {kind!r}")
        content = contents[kind]
        if caption is not None and kind in ("photo", "voice", "document"):
            content = {**content, "caption": caption}
        if chat_id is None:
            self.add_private_chat(user_id)
            chat_id = user_id
        else:
            self.add_group_chat(chat_id)
            self._user(user_id)
        return self._user_message(chat_id, user_id, content, None)

    def edited_message(self, message: JSON, text: str) -> JSON:
        """The sender edits a message they sent earlier (pass the update or message returned)."""
        original = message.get("message", message)
        key = (original["chat"]["id"], original["message_id"])
        stored = self._messages.get(key)
        if stored is None:
            raise ValueError(f"no message {key} to edit: pass what a builder returned")
        edited = {key: value for key, value in stored.items() if key != "entities"}
        edited.update({"text": text, **_text_entities(text), "edit_date": _now()})
        self._messages[key] = edited
        return self.queue_update({"edited_message": dict(edited)})

    def callback_query(
        self,
        message: SentMessage | JSON | tuple[int | str, int],
        data: str | None = None,
        *,
        button: str | None = None,
        user_id: int | None = None,
        must_be_on_keyboard: bool = True,
    ) -> JSON:
        """The resident presses an inline button on a message the bot sent.

        Give the button's label (`button="Yes"`) or its `data`; by default the data must be on
        the message's current keyboard, as only real buttons can be pressed.
        """
        chat_id, message_id = _message_key(message)
        stored = self._messages.get((chat_id, message_id))
        if stored is None:
            raise ValueError(f"the bot sent no message {message_id} in chat {chat_id}")
        rows = stored.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row if "callback_data" in b]
        if button is not None:
            matches = [b["callback_data"] for b in buttons if b["text"] == button]
            if not matches:
                raise ValueError(
                    f"no button {button!r} on message {message_id}; it has "
                    f"{[b['text'] for b in buttons]}"
                )
            data = matches[0]
        if data is None:
            raise ValueError("give the button's label (button=...) or its callback data")
        if must_be_on_keyboard and data not in [b["callback_data"] for b in buttons]:
            raise ValueError(
                f"no button with data {data!r} on message {message_id}; it has "
                f"{[b['callback_data'] for b in buttons]}"
            )
        if user_id is None:
            user_id = chat_id if isinstance(chat_id, int) and chat_id > 0 else DEFAULT_USER_ID
        query_id = str(next(self._callback_ids))
        self._open_callback_queries.add(query_id)
        return self.queue_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id),
                    "message": dict(stored),
                    "chat_instance": str(abs(hash(chat_id)) % 10**18),
                    "data": data,
                }
            }
        )

    def _user_message(
        self, chat_id: int | str, user_id: int, content: JSON, reply_to: int | None
    ) -> JSON:
        message: JSON = {
            "message_id": self._new_message_id(chat_id),
            "from": self._users[user_id],
            "chat": self._chats[chat_id].to_dict(),
            "date": _now(),
            **content,
        }
        if reply_to is not None:
            replied = self._messages.get((chat_id, reply_to))
            if replied is None:
                raise ValueError(f"no message {reply_to} in chat {chat_id} to reply to")
            message["reply_to_message"] = _without_reply(replied)
        self._messages[(chat_id, message["message_id"])] = message
        # Queued updates hold copies, so later edits never change what was already sent.
        return self.queue_update({"message": dict(message)})

    def _new_message_id(self, chat_id: int | str) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    # ---- webhook mode ----------------------------------------------------------------------

    async def post_update(self, url: str, update: JSON, secret_token: str | None = None) -> int:
        """POST an update to a bot's webhook as Telegram does; returns the HTTP status."""
        if self._client is None:
            self._client = ClientSession(timeout=ClientTimeout(total=10))
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        async with self._client.post(url, json=update, headers=headers) as response:
            await response.read()
            return response.status

    async def deliver_to_webhook(self) -> list[int]:
        """Push queued updates to the webhook set with setWebhook, with its secret token.

        Updates the bot answers with 2xx are confirmed; delivery stops at the first failure
        (Telegram retries it later). Returns the statuses.
        """
        if self._webhook is None:
            raise RuntimeError("no webhook is set: the bot must call setWebhook first")
        statuses = []
        for update in self._deliverable(len(self._updates), self._webhook.allowed_updates):
            status = await self.post_update(self._webhook.url, update, self._webhook.secret_token)
            statuses.append(status)
            if not 200 <= status < 300:
                break
            self._updates.remove(update)
        return statuses

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    @property
    def pending_update_count(self) -> int:
        return len(self._updates)

    # ---- rate limits and faults ------------------------------------------------------------

    def set_rate_limits(
        self, *, overall: RateLimit | None = None, per_chat: RateLimit | None = None
    ) -> None:
        """Change the limits while running; None switches a limit off."""
        self.overall_limit = overall
        self.per_chat_limit = per_chat
        self._overall_sent.clear()
        self._chat_sent.clear()

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int = 500,
        after_delivery: bool = False,
        chat_id: int | str | None = None,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) fail with a 5xx.

        `after_delivery`: the message is delivered first, so the bot cannot know it was sent.
        """
        if status not in SERVER_ERRORS:
            raise ValueError(f"status must be one of {sorted(SERVER_ERRORS)}, not {status}")
        self._add_fault(
            _Fault(
                self._method_name(method),
                times,
                status=status,
                after_delivery=after_delivery,
                chat_id=chat_id,
            )
        )

    def flood_next(
        self, method: str, times: int = 1, *, retry_after: int = 1, chat_id: int | str | None = None
    ) -> None:
        """The next `times` calls of `method` get 429 "Too Many Requests: retry after N"."""
        self._add_fault(
            _Fault(self._method_name(method), times, retry_after=retry_after, chat_id=chat_id)
        )

    def hang_next(
        self,
        method: str,
        times: int = 1,
        *,
        seconds: float = 30.0,
        after_delivery: bool = False,
        chat_id: int | str | None = None,
    ) -> None:
        """The next `times` calls of `method` take `seconds` to answer (to test client timeouts).

        Without `after_delivery` a call the client gives up on is never delivered; with it the
        message is delivered at once and only the answer is late (the ambiguous timeout).
        """
        self._add_fault(
            _Fault(
                self._method_name(method),
                times,
                hang_seconds=seconds,
                after_delivery=after_delivery,
                chat_id=chat_id,
            )
        )

    def _add_fault(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(fault)

    def _take_fault(self, method: str, params: JSON) -> _Fault | None:
        for fault in self._faults:
            if fault.method != method:
                continue
            if fault.chat_id is not None and _chat_id_value(params.get("chat_id")) != fault.chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
            return fault
        return None

    def _check_flood(self, chat_id: int | str) -> None:
        if self.overall_limit is None and self.per_chat_limit is None:
            return
        now = time.monotonic()
        waits = []
        windows = []
        if self.overall_limit is not None:
            windows.append((self.overall_limit, self._overall_sent))
        if self.per_chat_limit is not None:
            windows.append((self.per_chat_limit, self._chat_sent.setdefault(chat_id, deque())))
        for limit, sent in windows:
            while sent and sent[0] <= now - limit.per_seconds:
                sent.popleft()
            if len(sent) >= limit.max_messages:
                waits.append(sent[0] + limit.per_seconds - now)
        if waits:
            raise self._too_many_requests(max(1, math.ceil(max(waits))))
        for _, sent in windows:
            sent.append(now)

    def _too_many_requests(self, retry_after: int) -> ApiError:
        self.too_many_requests_count += 1
        return ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    # ---- what the bot did ------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedRequest]:
        """Every request (of `method`, if given) in the order answered, failed ones included."""
        if method is None:
            return list(self.requests)
        name = self._method_name(method)
        return [request for request in self.requests if request.method == name]

    def sent_messages(self, chat_id: int | str | None = None) -> list[SentMessage]:
        """Messages Telegram accepted, in order (to `chat_id`, if given)."""
        if chat_id is None:
            return list(self._sent)
        return list(self._sent_by_chat.get(chat_id, ()))

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """What the residents saw, message by message."""
        return [message.text for message in self.sent_messages(chat_id)]

    def edits(self, chat_id: int | str | None = None) -> list[Edit]:
        return [edit for edit in self._edits if chat_id is None or edit.chat_id == chat_id]

    def answered_callbacks(self) -> list[AnsweredCallback]:
        return list(self._answered)

    def chat_actions(self, chat_id: int | str | None = None) -> list[str]:
        return [action for chat, action in self._chat_actions if chat_id in (None, chat)]

    def commands(
        self,
        scope: JSON | None = None,
        language_code: str = "",
    ) -> list[JSON]:
        """Commands registered for `scope`, e.g. {"type": "chat", "chat_id": 5}; None: default."""
        return list(self._commands.get(_scope_key(scope, language_code), []))

    def registered_command_scopes(self) -> list[tuple[str, Any, Any, str]]:
        """(scope type, chat_id, user_id, language_code) of every scope with commands."""
        return list(self._commands)

    def message(self, chat_id: int | str, message_id: int) -> JSON | None:
        """The message as it is now (after edits), or None if it does not exist."""
        stored = self._messages.get((chat_id, message_id))
        return dict(stored) if stored is not None else None

    async def wait_for(
        self,
        condition: Callable[[], Any] | None = None,
        *,
        count: int | None = None,
        chat_id: int | str | None = None,
        timeout: float = 5.0,
    ) -> Any:
        """Return as soon as `condition()` is truthy (returning its value), or once `count`
        messages were sent (to `chat_id`, if given; returning them). Raises WaitTimeout."""
        if (condition is None) == (count is None):
            raise ValueError("give wait_for a condition or a count of sent messages")

        def enough_sent() -> list[SentMessage] | None:
            sent = self._sent if chat_id is None else self._sent_by_chat.get(chat_id, [])
            return list(sent) if count is not None and len(sent) >= count else None

        check = condition or enough_sent
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            result = check()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [f"{r.method} -> {r.status} {r.description}" for r in self.requests[-8:]]
                raise WaitTimeout(
                    f"waited {timeout} s for "
                    + (f"{count} sent message(s)" if count is not None else "the condition")
                    + f"; sent so far: {self.sent_texts(chat_id)!r}; last requests: {recent}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _notify_change(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ---- HTTP plumbing ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        called = request.match_info["method"]
        method = self._method_names.get(called.lower(), called)
        params: JSON = {}
        status: int | None = None
        description = ""
        try:
            params = await _read_params(request)
            if request.match_info["token"] != self.token:
                raise ApiError(401, UNAUTHORIZED)
            implementation = self._methods.get(called.lower())
            if implementation is None:
                raise ApiError(404, NOT_FOUND)
            fault = self._take_fault(method, params)
            if fault is not None and not fault.after_delivery:
                await self._apply_fault(fault)
            result = await implementation(params)
            if fault is not None and fault.after_delivery:
                await self._apply_fault(fault)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as error:
            status, description, body = error.code, error.description, error.body()
        except asyncio.CancelledError:
            description = "the client hung up before the answer"
            raise
        except Exception as error:  # a bug in the fake: say so instead of a bare 500
            status, description = 500, f"fake_telegram failed: {error!r}"
            body = {"ok": False, "error_code": 500, "description": description}
        finally:
            self.requests.append(RecordedRequest(method, params, status, description))
            self._notify_change()
        return web.json_response(body, status=status)

    async def _apply_fault(self, fault: _Fault) -> None:
        if fault.hang_seconds is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), fault.hang_seconds)
        elif fault.retry_after is not None:
            raise self._too_many_requests(fault.retry_after)
        elif fault.status is not None:
            raise ApiError(fault.status, SERVER_ERRORS[fault.status])

    async def _file(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 404, "description": NOT_FOUND}, status=404
        )

    def _wake_poller(self, reason: str) -> None:
        if self._poller is not None and not self._poller.done():
            self._poller.set_result(reason)

    def _method_name(self, method: str) -> str:
        return self._method_names.get(method.lower(), method)

    # ---- Bot API methods -------------------------------------------------------------------

    async def _api_getMe(self, params: JSON) -> JSON:
        return self.bot_user

    async def _api_getUpdates(self, params: JSON) -> list[JSON]:
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = _int(params, "offset", 0)
        limit = min(max(_int(params, "limit", 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or [])
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._wake_poller("conflict")  # a newer getUpdates ends the one still waiting
        updates = self._deliverable(limit, self._allowed_updates)
        if updates or timeout == 0 or self._closing.is_set():
            return updates
        poller = asyncio.get_running_loop().create_future()
        self._poller = poller
        try:
            await asyncio.wait({poller}, timeout=timeout)
        finally:
            if self._poller is poller:
                self._poller = None
        if poller.done() and poller.result() == "conflict":
            raise ApiError(409, CONFLICT_POLLING)
        return self._deliverable(limit, self._allowed_updates)

    def _deliverable(self, limit: int, allowed: list[str] | None) -> list[JSON]:
        """Up to `limit` pending updates of allowed types; others are dropped, as by Telegram."""
        updates = []
        for update in list(self._updates):
            kind = next(key for key in update if key != "update_id")
            wanted = kind in allowed if allowed else kind not in _DEFAULT_UPDATE_TYPES_EXCLUDED
            if not wanted:
                self._updates.remove(update)
            elif len(updates) < limit:
                updates.append(update)
        return updates

    async def _api_setWebhook(self, params: JSON) -> bool:
        url = params.get("url") or ""
        if not url:
            self._webhook = None
            return True
        allowed = params.get("allowed_updates")
        self._webhook = _Webhook(
            url=url,
            secret_token=params.get("secret_token"),
            max_connections=_int(params, "max_connections", 40),
            allowed_updates=list(allowed) if allowed else None,
        )
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._wake_poller("conflict")
        return True

    async def _api_deleteWebhook(self, params: JSON) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_getWebhookInfo(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._webhook.allowed_updates:
                info["allowed_updates"] = self._webhook.allowed_updates
        return info

    async def _api_setMyCommands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, 'Bad Request: parameter "commands" is required')
        if len(commands) > 100:
            raise ApiError(400, BOT_COMMANDS_TOO_MUCH)
        for command in commands:
            if not isinstance(command, dict) or not re.fullmatch(
                r"[a-z0-9_]{1,32}", str(command.get("command", ""))
            ):
                raise ApiError(400, BOT_COMMAND_INVALID)
        key = self._command_scope(params)
        if commands:
            self._commands[key] = [
                {"command": c["command"], "description": c.get("description", "")} for c in commands
            ]
        else:
            self._commands.pop(key, None)
        return True

    async def _api_getMyCommands(self, params: JSON) -> list[JSON]:
        return list(self._commands.get(self._command_scope(params), []))

    async def _api_deleteMyCommands(self, params: JSON) -> bool:
        self._commands.pop(self._command_scope(params), None)
        return True

    def _command_scope(self, params: JSON) -> tuple[str, Any, Any, str]:
        scope = params.get("scope")
        key = _scope_key(scope, params.get("language_code") or "")
        if key[1] is not None and self._find_chat(key[1]) is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        return key

    async def _api_sendMessage(self, params: JSON) -> JSON:
        text, raw_text, entities = self._formatted_text(params)
        markup = self._reply_markup(params)
        chat = self._chat(params)
        reply_to = self._reply_to(chat, params)
        self._check_reachable(chat)
        self._check_flood(chat.id)
        message: JSON = {
            "message_id": self._new_message_id(chat.id),
            "from": self.bot_user,
            "chat": chat.to_dict(),
            "date": _now(),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._messages[(chat.id, message["message_id"])] = message
        sent = SentMessage(
            chat_id=chat.id,
            message_id=message["message_id"],
            text=text,
            raw_text=raw_text,
            parse_mode=params.get("parse_mode"),
            entities=tuple(entities),
            reply_markup=markup,
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
        )
        self._sent.append(sent)
        self._sent_by_chat.setdefault(chat.id, []).append(sent)
        return message

    async def _api_editMessageText(self, params: JSON) -> JSON:
        text, raw_text, entities = self._formatted_text(params)
        markup = self._reply_markup(params)
        chat, message = self._message_to_edit(params)
        if "text" not in message:
            raise ApiError(400, NO_TEXT_TO_EDIT)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        unchanged = (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == inline
        )
        if unchanged:
            raise ApiError(400, NOT_MODIFIED)
        self._check_flood(chat.id)
        message["text"] = text
        _set_or_drop(message, "entities", entities or None)
        _set_or_drop(message, "reply_markup", inline)
        message["edit_date"] = _now()
        self._edits.append(
            Edit(
                "editMessageText",
                chat.id,
                message["message_id"],
                text,
                raw_text,
                params.get("parse_mode"),
                inline,
            )
        )
        return message

    async def _api_editMessageReplyMarkup(self, params: JSON) -> JSON:
        markup = self._reply_markup(params)
        chat, message = self._message_to_edit(params)
        inline = markup if markup is not None and "inline_keyboard" in markup else None
        if message.get("reply_markup") == inline:
            raise ApiError(400, NOT_MODIFIED)
        self._check_flood(chat.id)
        _set_or_drop(message, "reply_markup", inline)
        message["edit_date"] = _now()
        self._edits.append(
            Edit("editMessageReplyMarkup", chat.id, message["message_id"], None, None, None, inline)
        )
        return message

    def _message_to_edit(self, params: JSON) -> tuple[_Chat, JSON]:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        self._check_reachable(chat)
        message = self._messages.get((chat.id, _int(params, "message_id", 0)))
        if message is None:
            raise ApiError(400, EDIT_NOT_FOUND)
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(400, CANT_BE_EDITED)
        return chat, message

    async def _api_deleteMessage(self, params: JSON) -> bool:
        chat = self._chat(params)
        if self._messages.pop((chat.id, _int(params, "message_id", 0)), None) is None:
            raise ApiError(400, DELETE_NOT_FOUND)
        return True

    async def _api_answerCallbackQuery(self, params: JSON) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callback_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_callback_queries.remove(query_id)
        self._answered.append(
            AnsweredCallback(
                callback_query_id=query_id,
                text=params.get("text"),
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=_int(params, "cache_time", 0),
            )
        )
        return True

    async def _api_sendChatAction(self, params: JSON) -> bool:
        chat = self._chat(params)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise ApiError(400, WRONG_ACTION)
        self._check_reachable(chat)
        self._chat_actions.append((chat.id, action))
        return True

    # ---- parameter checks shared by the methods ---------------------------------------------

    def _chat(self, params: JSON) -> _Chat:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, CHAT_ID_EMPTY)
        chat = self._find_chat(_chat_id_value(raw))
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        return chat

    def _find_chat(self, chat_id: int | str) -> _Chat | None:
        chat = self._chats.get(chat_id)
        if chat is not None:
            return chat
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            return next(
                (c for c in self._chats.values() if (c.username or "").lower() == name), None
            )
        if self.auto_create_chats and isinstance(chat_id, int) and chat_id != 0:
            if chat_id > 0:
                self.add_private_chat(chat_id)
            else:
                self.add_group_chat(chat_id, title=f"Group {chat_id}")
            return self._chats[chat_id]
        return None

    @staticmethod
    def _check_reachable(chat: _Chat) -> None:
        if chat.state == "blocked":
            raise ApiError(403, BLOCKED)
        if chat.state == "deactivated":
            raise ApiError(403, DEACTIVATED)

    def _reply_to(self, chat: _Chat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id = params.get("reply_to_message_id")
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        replied = self._messages.get((chat.id, message_id))
        if replied is None and not allow_missing:
            raise ApiError(400, REPLY_NOT_FOUND)
        if replied is None:
            return None
        return _without_reply(replied)

    def _formatted_text(self, params: JSON) -> tuple[str, str, list[JSON]]:
        """(text the resident sees, text as sent, entities), or the error Telegram gives."""
        raw = params.get("text")
        raw_text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
        parse_mode = params.get("parse_mode") or ""
        if parse_mode.lower() == "html":
            try:
                text, entities = parse_html(raw_text, strict=self.strict_html)
            except HtmlParseError as error:
                raise ApiError(400, CANT_PARSE_ENTITIES + str(error)) from None
        elif parse_mode.lower() in ("", "markdown", "markdownv2"):
            text = raw_text
            given = params.get("entities")
            entities = list(given) if isinstance(given, list) and not parse_mode else []
        else:
            raise ApiError(400, UNSUPPORTED_PARSE_MODE)
        text, entities = _trim(text, entities)
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        if utf16_length(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, TOO_LONG)
        return text, raw_text, entities

    @staticmethod
    def _reply_markup(params: JSON) -> JSON | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if isinstance(markup, str):
            try:
                markup = json.loads(markup)
            except ValueError:
                raise ApiError(400, BAD_MARKUP) from None
        if not isinstance(markup, dict):
            raise ApiError(400, BAD_MARKUP)
        if "inline_keyboard" not in markup:
            return markup  # reply keyboards and their removal are not shown on the message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, BAD_MARKUP)
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise ApiError(400, BAD_MARKUP)
                if not _INLINE_BUTTON_ACTIONS & button.keys():
                    raise ApiError(400, TEXT_BUTTONS_UNALLOWED)
                if "callback_data" in button:
                    data = button["callback_data"]
                    size = len(data.encode("utf-8")) if isinstance(data, str) else 0
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise ApiError(400, BUTTON_DATA_INVALID)
                if "url" in button and not re.match(r"(?i)(https?|tg)://\S+$", str(button["url"])):
                    raise ApiError(400, BUTTON_URL_INVALID)
        return markup


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


async def _read_params(request: web.Request) -> JSON:
    """The call's parameters from the query string, a JSON body or form fields.

    Form fields hold strings; clients JSON-encode every non-string value, so those are decoded.
    """
    raw: JSON = dict(request.query)
    typed: JSON = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
            if isinstance(body, dict):
                typed = body
        else:
            form = await request.post()
            raw.update({key: value for key, value in form.items() if isinstance(value, str)})
    params = {key: _decode_form_value(key, value) for key, value in raw.items()}
    params.update(typed)
    return params


def _decode_form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMETERS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _chat_id_value(raw: Any) -> int | str:
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text


def _int(params: JSON, name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: invalid parameter "{name}"') from None


def _scope_key(scope: JSON | str | None, language_code: str) -> tuple[str, Any, Any, str]:
    if isinstance(scope, str):
        scope = json.loads(scope)
    scope = scope or {"type": "default"}
    chat_id = scope.get("chat_id")
    return (
        scope.get("type", "default"),
        _chat_id_value(chat_id) if chat_id is not None else None,
        scope.get("user_id"),
        language_code,
    )


def _message_key(message: SentMessage | JSON | tuple[int | str, int]) -> tuple[int | str, int]:
    if isinstance(message, SentMessage):
        return message.chat_id, message.message_id
    if isinstance(message, tuple):
        return message
    message = message.get("message", message)
    return message["chat"]["id"], message["message_id"]


def _without_reply(message: JSON) -> JSON:
    """A message as quoted in a reply: Telegram does not nest replies of replies."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _set_or_drop(message: JSON, key: str, value: Any) -> None:
    if value is None:
        message.pop(key, None)
    else:
        message[key] = value


_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,32}(?!\w)")
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_URL = re.compile(r"(?i)\bhttps?://[^\s<>\"]+")


def _text_entities(text: str) -> JSON:
    """The entities Telegram detects in what a user typed: mentions, /commands and URLs."""
    found = []
    for kind, pattern in (("mention", _MENTION), ("bot_command", _BOT_COMMAND), ("url", _URL)):
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_length(text[: match.start()]),
                    "length": utf16_length(match.group()),
                }
            )
    found.sort(key=lambda entity: entity["offset"])
    return {"entities": found} if found else {}


def _now() -> int:
    return int(time.time())


def local_request(**kwargs: Any) -> Any:
    """A PTB HTTPXRequest for talking to the fake: no TLS, so no CA certificates to load."""
    from telegram.request import HTTPXRequest

    return HTTPXRequest(httpx_kwargs={"verify": False}, **kwargs)
