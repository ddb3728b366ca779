"""The bot's handlers: each reads a Telegram update, asks the core or the store, and replies.

They translate and hold no answering logic: what to answer is the Responder's business.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, filters

from bot.answering import Responder
from bot.browsing import Page, entries_tagged, page_of, topic_tags
from bot.event_log import log_event
from bot.feed import listed_updates
from bot.flood import FloodGuard, Verdict
from bot.formatting import decode_callback, encode_callback, render_reply_html, split_text
from bot.question_log import QuestionLog
from bot.reply import Reply
from bot.settings import Settings
from bot.storage import Store
from bot.telegram_wording import (
    ALL_TOPICS,
    ALREADY_SUBSCRIBED,
    APOLOGY,
    FORGOTTEN,
    HELP,
    HELPFUL,
    NEXT_PAGE,
    NO_UPDATES,
    NOT_HELPFUL,
    NOT_SUBSCRIBED,
    PREVIOUS_PAGE,
    PRIVACY,
    READ_MORE,
    SLOW_DOWN,
    STALE_BUTTON,
    SUBSCRIBED,
    TEXT_ONLY,
    TOPIC_HEADING,
    TOPICS_HEADING,
    UNSUBSCRIBED,
    UPDATES_HEADING,
    UPDATES_PAGE,
    VOTE_THANKS,
    WELCOME,
)
from bot.updates import ProgressUpdate, load_updates

logger = logging.getLogger(__name__)

TOPICS_PER_PAGE = 8
QUESTIONS_PER_PAGE = 6
UPDATES_PER_PAGE = 5
# Room for the updates on one page: Telegram's 4,096 characters, less the heading. Counted on
# the HTML, which is never shorter than the text Telegram counts. One update always fits alone:
# `faqbot check` keeps summaries to 3,000 characters, and the feed's to 1,500.
PAGE_ROOM = 3900


class _MentionsThisBot(filters.MessageFilter):
    """A group message that @mentions this bot (its username is known once it has started)."""

    def filter(self, message: Message) -> bool:
        username = message.get_bot().username
        if not username:
            return False
        mention = f"@{username}".casefold()
        entities = message.parse_entities([MessageEntity.MENTION])
        return any(text.casefold() == mention for text in entities.values())


# Messages the bot answers: anything in a private chat; commands and mentions in groups.
ADDRESSED_TO_BOT = filters.ChatType.PRIVATE | filters.COMMAND | _MentionsThisBot()
QUESTION = filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | _MentionsThisBot())
NOT_TEXT = filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL


@dataclass
class _Event:
    """What one handled update is logged with, filled in by the handler as it goes."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)


class ResidentHandlers:
    """The bot's handlers: each reads an update, asks the core or the store, and replies."""

    def __init__(
        self,
        responder: Responder,
        store: Store,
        settings: Settings,
        flood_guard: FloodGuard | None = None,
        question_log: QuestionLog | None = None,
    ):
        # Replaced whole when an edit to the FAQ folder loads (BotServices._use_responder).
        self.responder = responder
        self.store = store
        self.settings = settings
        self.flood_guard = flood_guard or FloodGuard(settings.flood_limit, settings.flood_window)
        # Records questions in the background: a database fault never holds up a reply.
        self.question_log = question_log or QuestionLog(
            store, retention_days=settings.retention_days
        )

    # -- Event logging ----------------------------------------------------------------------

    @contextmanager
    def _event(self, update: Update, kind: str) -> Iterator[_Event]:
        """Log one line for this update: its id, kind, outcome and how long it took."""
        event = _Event(kind)
        started = time.perf_counter()
        outcome = "error"
        try:
            yield event
            outcome = event.fields.pop("outcome", "done")
        finally:
            message = update.effective_message
            log_event(
                "update",
                update_id=update.update_id,
                kind=kind,
                outcome=outcome,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                chat_type=message.chat.type if message is not None else None,
                # What residents type stays out of the logs unless the operator asks for it.
                text=message.text
                if message is not None and self.settings.log_message_text
                else None,
                **event.fields,
            )

    # -- Guards, run before the handlers of group 0 -------------------------------------------

    async def slow_down_floods(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop one user's flood of messages here, with a single notice, until it passes."""
        user = update.effective_user
        if user is None:
            return
        verdict = self.flood_guard.check(user.id)
        if verdict is Verdict.ACCEPT:
            return
        if verdict is Verdict.SLOW_DOWN:
            with self._event(update, "flood") as event:
                await update.effective_message.reply_text(escape(SLOW_DOWN))
                event.fields["outcome"] = "slowed_down"
        raise ApplicationHandlerStop

    # -- Questions ----------------------------------------------------------------------------

    async def question(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reply to a resident's free-text question (also when they edit it)."""
        message = update.effective_message
        with self._event(update, "question") as event:
            text = _without_mention(message.text, context.bot.username)
            reply = self.responder.respond(user=self._user_key(update), text=text)
            await self._send_reply(message.reply_text, reply)
            event.fields.update(outcome=str(reply.outcome), entry=reply.entry_id)
            if update.effective_user is not None:
                self.question_log.record(
                    user_id=update.effective_user.id,
                    chat_id=message.chat.id,
                    chat_type=message.chat.type,
                    text=text,
                    reply=reply,
                    corpus_version=self.responder.corpus.version,
                )

    async def not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, stickers, voice and the like: say that only text is read."""
        with self._event(update, "not_text") as event:
            await update.effective_message.reply_text(escape(TEXT_ONLY))
            event.fields["outcome"] = "text_only"

    async def choice_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A "did you mean" choice (or a question picked while browsing): send its answer."""
        query = update.callback_query
        with self._event(update, "choice") as event:
            decoded = decode_callback(query.data or "", self._entry_ids())
            if decoded is None:
                await query.answer(STALE_BUTTON)
                event.fields["outcome"] = "stale"
                return
            await query.answer()
            reply = self.responder.answer_entry(decoded[1])
            await self._send_reply(partial(context.bot.send_message, query.message.chat.id), reply)
            event.fields.update(outcome=str(reply.outcome), entry=reply.entry_id)
            self.question_log.choice_pressed(
                user_id=query.from_user.id, chat_id=query.message.chat.id, entry_id=decoded[1]
            )

    async def vote_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Helpful / Not helpful under an answer: store the vote (a second one replaces it)."""
        query = update.callback_query
        with self._event(update, "vote") as event:
            votes = (f"{entry_id}:{vote}" for entry_id in self._entry_ids() for vote in "01")
            decoded = decode_callback(query.data or "", votes)
            entry_id, _, vote = decoded[1].rpartition(":") if decoded else ("", "", "")
            if self.responder.corpus.entry(entry_id) is None or vote not in ("0", "1"):
                await query.answer(STALE_BUTTON)
                event.fields["outcome"] = "stale"
                return
            # Queued and written at once, or retried later: a locked database must not cost
            # the resident their thanks.
            self.question_log.vote(
                user_id=query.from_user.id,
                chat_id=query.message.chat.id,
                message_id=query.message.message_id,
                entry_id=entry_id,
                helpful=vote == "1",
            )
            await self.question_log.write_now()
            await query.answer(VOTE_THANKS)
            event.fields.update(outcome="helpful" if vote == "1" else "not_helpful", entry=entry_id)

    # -- Browsing -----------------------------------------------------------------------------

    async def topics(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/topics: the FAQ's topics as buttons, a page at a time."""
        with self._event(update, "topics"):
            text, keyboard = self._topics_page(0)
            await update.effective_message.reply_text(text, reply_markup=keyboard)

    async def topics_page_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        with self._event(update, "topics_page"):
            decoded = decode_callback(query.data or "", ())
            number = int(decoded[1]) if decoded and decoded[1].isdigit() else 0
            await query.answer()
            await _edit(query.message, *self._topics_page(number))

    async def topic_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A topic button: the questions under it as buttons, a page at a time."""
        query = update.callback_query
        with self._event(update, "topic") as event:
            corpus = self.responder.corpus
            pages = (
                f"{number}:{tag}"
                for tag in topic_tags(corpus)
                for number in range(-(-len(entries_tagged(corpus, tag)) // QUESTIONS_PER_PAGE))
            )
            decoded = decode_callback(query.data or "", pages)
            number, _, tag = decoded[1].partition(":") if decoded else ("", "", "")
            if not number.isdigit() or tag not in topic_tags(corpus):
                await query.answer(STALE_BUTTON)
                event.fields["outcome"] = "stale"
                return
            await query.answer()
            await _edit(query.message, *self._topic_page(tag, int(number)))

    def _topics_page(self, number: int) -> tuple[str, InlineKeyboardMarkup]:
        page = page_of(topic_tags(self.responder.corpus), number, TOPICS_PER_PAGE)
        buttons = [
            InlineKeyboardButton(tag, callback_data=encode_callback("topic", f"0:{tag}"))
            for tag in page.items
        ]
        rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
        rows.append(_page_buttons(page, lambda n: encode_callback("page", str(n))))
        return escape(TOPICS_HEADING), InlineKeyboardMarkup([row for row in rows if row])

    def _topic_page(self, tag: str, number: int) -> tuple[str, InlineKeyboardMarkup]:
        entries = entries_tagged(self.responder.corpus, tag)
        page = page_of(entries, number, QUESTIONS_PER_PAGE)
        rows = [
            [
                InlineKeyboardButton(
                    entry.question, callback_data=encode_callback("choice", entry.id)
                )
            ]
            for entry in page.items
        ]
        rows.append(_page_buttons(page, lambda n: encode_callback("topic", f"{n}:{tag}")))
        rows.append([InlineKeyboardButton(ALL_TOPICS, callback_data=encode_callback("page", "0"))])
        text = escape(TOPIC_HEADING.format(topic=tag))
        return text, InlineKeyboardMarkup([row for row in rows if row])

    # -- Commands -----------------------------------------------------------------------------

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start: what the bot can and cannot do, and the emergency contacts."""
        with self._event(update, "start"):
            await self._send_text(update.effective_message, self._welcome())

    async def start_and_subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start subscribe (from a t.me/<bot>?start=subscribe link): welcome, then subscribe."""
        await self.start(update, context)
        await self.subscribe(update, context)

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self._event(update, "help"):
            await self._send_text(update.effective_message, HELP)

    async def privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self._event(update, "privacy"):
            await self._send_text(
                update.effective_message, PRIVACY.format(days=self.settings.retention_days)
            )

    async def updates(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/updates: the progress updates (updates.yaml's and the feed's), newest first, paged."""
        with self._event(update, "updates") as event:
            pages = _updates_pages(await self._progress_updates())
            text, keyboard = _updates_page(pages, 0)
            await update.effective_message.reply_text(text, reply_markup=keyboard)
            event.fields["outcome"] = f"{len(pages[0])}_shown" if pages else "none"

    async def updates_page_pressed(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE
    ) -> None:
        """Previous / Next under /updates: another page of updates in the same message."""
        query = update.callback_query
        with self._event(update, "updates_page"):
            decoded = decode_callback(query.data or "", ())
            number = int(decoded[1]) if decoded and decoded[1].isdigit() else 0
            await query.answer()
            pages = _updates_pages(await self._progress_updates())
            await _edit(query.message, *_updates_page(pages, number))

    async def _progress_updates(self) -> list[ProgressUpdate]:
        from_file = await asyncio.to_thread(load_updates, self.settings.faq_dir)
        return await listed_updates(self.store, from_file)

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self._event(update, "subscribe") as event:
            is_new = await self.store.subscribe(
                user_id=update.effective_user.id, chat_id=update.effective_chat.id
            )
            await self._send_text(
                update.effective_message, SUBSCRIBED if is_new else ALREADY_SUBSCRIBED
            )
            event.fields["outcome"] = "subscribed" if is_new else "already_subscribed"

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self._event(update, "unsubscribe") as event:
            was_subscribed = await self.store.unsubscribe(update.effective_chat.id)
            await self._send_text(
                update.effective_message, UNSUBSCRIBED if was_subscribed else NOT_SUBSCRIBED
            )
            event.fields["outcome"] = "unsubscribed" if was_subscribed else "not_subscribed"

    async def forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: delete every row about this user."""
        with self._event(update, "forget") as event:
            deleted = await self.store.forget(update.effective_user.id)
            await self._send_text(update.effective_message, FORGOTTEN)
            event.fields.update(outcome="forgotten", rows=deleted)

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self._event(update, "unknown_command"):
            await self._send_text(update.effective_message, HELP)

    # -- Errors -------------------------------------------------------------------------------

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log what went wrong with its context, and apologise to the resident if there is one."""
        error = context.error
        if not isinstance(update, Update):
            # Polling errors: PTB retries by itself, so a network blip is a warning, not a trace.
            level = logging.WARNING if isinstance(error, NetworkError) else logging.ERROR
            logger.log(level, "Error outside any update: %r", error, exc_info=level > 30)
            return
        message = update.effective_message
        logger.error(
            "Handling update %s (%s in a %s chat) failed",
            update.update_id,
            _update_kind(update),
            message.chat.type if message is not None else "unknown",
            exc_info=error,
        )
        if update.effective_chat is None or isinstance(error, Forbidden):
            return
        try:
            await context.bot.send_message(update.effective_chat.id, escape(APOLOGY))
        except TelegramError as apology_error:
            logger.warning(
                "Could not send the apology for update %s: %r", update.update_id, apology_error
            )

    # -- Sending ------------------------------------------------------------------------------

    async def _send_reply(self, send: Callable[..., Awaitable[Message]], reply: Reply) -> None:
        """Send a reply as HTML, in as many messages as it needs, its buttons under the last."""
        chunks = render_reply_html(reply)
        keyboard = reply_keyboard(reply)
        for number, chunk in enumerate(chunks, 1):
            await send(chunk, reply_markup=keyboard if number == len(chunks) else None)

    async def _send_text(self, message: Message, text: str) -> None:
        """Send plain wording (escaped), in as many messages as its length needs."""
        for piece in split_text(text):
            await message.reply_text(escape(piece))

    def _welcome(self) -> str:
        return f"{WELCOME}\n\n{self.responder.corpus.safeguarding.reply.strip()}"

    def _entry_ids(self) -> Iterator[str]:
        return (entry.id for entry in self.responder.corpus.entries)

    def _user_key(self, update: Update) -> str:
        user = update.effective_user
        return f"tg:{self.store.user_hash(user.id)}" if user is not None else "tg:unknown"


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Buttons under a reply: its "did you mean" choices, or the vote under an FAQ answer."""
    if reply.choices:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        c.question, callback_data=encode_callback("choice", c.entry_id)
                    )
                ]
                for c in reply.choices
            ]
        )
    if reply.entry is not None:
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        HELPFUL, callback_data=encode_callback("vote", f"{reply.entry.id}:1")
                    ),
                    InlineKeyboardButton(
                        NOT_HELPFUL, callback_data=encode_callback("vote", f"{reply.entry.id}:0")
                    ),
                ]
            ]
        )
    return None


def _page_buttons(page: Page[Any], data_for: Callable[[int], str]) -> list[InlineKeyboardButton]:
    buttons = []
    if page.has_previous:
        buttons.append(InlineKeyboardButton(PREVIOUS_PAGE, callback_data=data_for(page.number - 1)))
    if page.has_next:
        buttons.append(InlineKeyboardButton(NEXT_PAGE, callback_data=data_for(page.number + 1)))
    return buttons


def escape(text: str) -> str:
    """Plain text made safe for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


async def _edit(message: Any, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """Show another page in the same message; pressing the page already shown changes nothing."""
    try:
        await message.edit_text(text, reply_markup=keyboard)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


def _updates_pages(updates: list[ProgressUpdate]) -> list[list[str]]:
    """The updates as HTML blocks, in pages of up to UPDATES_PER_PAGE that fit in one message.

    One message a page, so Previous and Next can edit it in place.
    """
    pages: list[list[str]] = []
    size = 0
    for block in map(_update_block, updates):
        if not pages or len(pages[-1]) == UPDATES_PER_PAGE or size + len(block) > PAGE_ROOM:
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += len(block) + 2
    return pages


def _updates_page(pages: list[list[str]], number: int) -> tuple[str, InlineKeyboardMarkup | None]:
    if not pages:
        return escape(NO_UPDATES), None
    page = page_of(pages, number, 1)
    heading = UPDATES_HEADING
    if page.count > 1:
        heading += UPDATES_PAGE.format(number=page.number + 1, count=page.count)
    text = "\n\n".join([f"<b>{escape(heading)}</b>", *page.items[0]])
    buttons = _page_buttons(page, lambda n: encode_callback("updates", str(n)))
    return text, InlineKeyboardMarkup([buttons]) if buttons else None


def _update_block(item: ProgressUpdate) -> str:
    """One update: date and title in bold, the summary, and a link to read more."""
    heading = f"<b>{item.date:%d %B %Y}: {escape(item.title)}</b>"
    link = (
        f'\n<a href="{html.escape(item.link, quote=True)}">{escape(READ_MORE)}</a>'
        if item.link
        else ""
    )
    return f"{heading}\n{escape(item.summary)}{link}"


def _without_mention(text: str, username: str | None) -> str:
    """The question without the @botname that addressed it in a group."""
    if not username:
        return text
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


def _update_kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        if getattr(update, kind) is not None:
            return kind
    return "other"
