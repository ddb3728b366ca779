"""Staff tools on Telegram: /unanswered, /stats and /publish for the admins, the weekly digest.

Only users in FAQBOT_ADMINS reach these handlers (they are registered with a user filter), so
anyone else sending /stats gets exactly what any unknown command gets. The commands appear
in the menu of the admins' own chats only.

/publish ID shows the alert and how many subscribers will get it, and publishes only when an
admin presses Confirm, through the same outbox as `faqbot publish`: a second press, or a button
left from before, meets the outbox's refusal ("already published"), never a second alert.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import digest
from bot.corpus import FaqError
from bot.digest import DIGEST_DAYS
from bot.event_log import log_event
from bot.formatting import split_text
from bot.outbox import Outbox, PublishError, alert_text, unknown_update_error
from bot.settings import Settings
from bot.stats import collect_stats, format_stats
from bot.storage import Store
from bot.telegram_handlers import escape
from bot.telegram_wording import COMMANDS
from bot.unanswered import cluster_questions, format_clusters
from bot.updates import UPDATES_FILE, ProgressUpdate, load_updates

ADMIN_COMMANDS = (
    ("unanswered", "Staff: top unanswered questions, last 7 days"),
    ("stats", "Staff: questions and votes, last 7 days"),
    ("publish", "Staff: alert subscribers to an update"),
)
# Callback data of the /publish buttons. An update id may be 64 characters, more than fits in a
# button's 64 bytes with a prefix, so Confirm carries a short hash of the id instead.
CONFIRM_PREFIX = "publish#"
CANCEL_DATA = "publish-cancel"
SHOWN_CLUSTERS = 10
# How often the digest task looks at the clock; the digest goes out at the first look after
# its hour.
DIGEST_CHECK_INTERVAL = 60.0


class AdminTools:
    """The admins' commands and the digest, over the store and the FAQ currently loaded."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        entry_ids: Callable[[], Sequence[str]],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_published: Callable[[], None] = lambda: None,
    ):
        self.store = store
        self.settings = settings
        self.entry_ids = entry_ids
        self.clock = clock
        self.check_interval = DIGEST_CHECK_INTERVAL
        self.on_published = on_published  # wakes the broadcaster: alerts start at once

    def handlers(self) -> list[CommandHandler | CallbackQueryHandler]:
        """The admin-only commands and buttons, to register before the unknown-command reply."""
        admins = filters.User(user_id=self.settings.admins)
        return [
            CommandHandler("unanswered", self.unanswered, filters=admins),
            CommandHandler("stats", self.stats, filters=admins),
            CommandHandler("publish", self.publish, filters=admins),
            CallbackQueryHandler(self.publish_pressed, pattern=r"^publish[#-]"),
        ]

    async def publish(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/publish ID: the alert as subscribers will see it, and a button to confirm."""
        if len(context.args or []) != 1:
            await _reply(update, "Send /publish and the update's id, like /publish 2025-06-plan")
            return
        outbox = Outbox(self.store)
        try:
            progress_update = self._find_update(context.args[0])
            await outbox.check_publishable(progress_update)
        except (PublishError, FaqError) as error:
            await _reply(update, f"Not published: {error}")
            log_event("admin_command", command="publish", outcome="refused")
            return
        count = await outbox.subscriber_count()
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        f"Confirm: alert {_subscribers(count)}",
                        callback_data=CONFIRM_PREFIX + _button_key(progress_update.id),
                    ),
                    InlineKeyboardButton("Cancel", callback_data=CANCEL_DATA),
                ]
            ]
        )
        await update.effective_message.reply_text(
            f"This alert will go to {_subscribers(count)} now subscribed:\n\n"
            + alert_text(progress_update),
            reply_markup=buttons,
        )
        log_event("admin_command", command="publish", outcome="preview")

    async def publish_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Confirm or Cancel under a /publish preview; only an admin's press counts."""
        query = update.callback_query
        if query.from_user.id not in self.settings.admins:
            await query.answer()
            return
        if query.data == CANCEL_DATA:
            await query.answer("Cancelled")
            await _edit(query, "Cancelled: nothing was published.")
            return
        key = (query.data or "").removeprefix(CONFIRM_PREFIX)
        try:
            progress_update = next(
                (u for u in load_updates(self.settings.faq_dir) if _button_key(u.id) == key),
                None,
            )
            if progress_update is None:
                raise PublishError(
                    f"the update is no longer in {UPDATES_FILE}; send /publish ID again"
                )
            recipients = await Outbox(self.store).publish(progress_update)
        except (PublishError, FaqError) as error:
            await query.answer("Not published")
            await _edit(query, f"Not published: {error}")
            log_event("admin_command", command="publish", outcome="refused")
            return
        self.on_published()
        await query.answer("Published")
        await _edit(
            query,
            f'Published "{progress_update.id}": the alert is going to '
            f"{_subscribers(recipients)}. Follow it with: faqbot publish --status "
            f"{progress_update.id}",
        )
        log_event("admin_command", command="publish", outcome="published", recipients=recipients)

    def _find_update(self, update_id: str) -> ProgressUpdate:
        for progress_update in load_updates(self.settings.faq_dir):
            if progress_update.id == update_id:
                return progress_update
        raise unknown_update_error(self.settings.faq_dir / UPDATES_FILE, update_id)

    async def unanswered(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unanswered: the largest groups of unanswered questions of the last 7 days."""
        questions = await self.store.logged_questions(self.clock() - timedelta(DIGEST_DAYS))
        if not questions:
            text = f"No unanswered questions in the last {DIGEST_DAYS} days."
        else:
            clusters = cluster_questions(questions)
            text = "\n".join(format_clusters(clusters, DIGEST_DAYS, SHOWN_CLUSTERS))
        await _reply(update, text)
        log_event("admin_command", command="unanswered")

    async def stats(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats: the last 7 days' figures."""
        since = self.clock() - timedelta(DIGEST_DAYS)
        figures = await collect_stats(self.store, since, DIGEST_DAYS, self.entry_ids())
        await _reply(update, "\n".join(format_stats(figures)))
        log_event("admin_command", command="stats")

    async def show_commands_to_admins(self, bot: Bot) -> None:
        """Add the staff commands to the menu in each admin's chat, and nowhere else."""
        commands = [BotCommand(name, text) for name, text in (*COMMANDS, *ADMIN_COMMANDS)]
        for admin in sorted(self.settings.admins):
            try:
                await bot.set_my_commands(commands, scope=BotCommandScopeChat(admin))
            except TelegramError as error:
                # The admin has not started a chat with the bot yet; the commands still work.
                log_event("admin_menu", logging.WARNING, outcome=type(error).__name__)

    async def send_digests(self, bot: Bot) -> None:
        """Check now and every `check_interval` seconds whether this week's digest is due."""
        while True:
            try:
                await self.send_digest_if_due(bot)
            except Exception:  # a fault here must not stop the next week's digest
                logging.getLogger(__name__).exception("The weekly digest failed")
            await asyncio.sleep(self.check_interval)

    async def send_digest_if_due(self, bot: Bot) -> bool:
        """Send this week's digest to each admin who has not had it yet; True if any got it.

        bot.digest claims the week, then sends and marks it admin by admin: a failed send is
        retried at a later check, and a restart sends only to the admins not yet reached.
        """

        async def send(admin: int, text: str) -> None:
            for piece in split_text(text):
                await bot.send_message(admin, escape(piece))

        delivery = await digest.send_digest_if_due(
            self.store,
            self.clock(),
            weekday=self.settings.digest_weekday,
            hour=self.settings.digest_hour,
            admins=self.settings.admins,
            entry_ids=self.entry_ids(),
            send=send,
        )
        return delivery is not None and bool(delivery.delivered)


def _button_key(update_id: str) -> str:
    return hashlib.sha256(update_id.encode()).hexdigest()[:16]


def _subscribers(count: int) -> str:
    return f"{count} subscriber" + ("" if count == 1 else "s")


async def _edit(query: CallbackQuery, text: str) -> None:
    """Replace the preview by what happened, without its buttons; a repeat edit is harmless."""
    try:
        await query.edit_message_text(escape(text))
    except BadRequest as error:  # "message is not modified": a second press said the same
        log_event("admin_command", logging.INFO, command="publish", outcome=str(error)[:60])


async def _reply(update: Update, text: str) -> None:
    for piece in split_text(text):
        await update.effective_message.reply_text(escape(piece))
