"""Staff tools on Telegram: /unanswered and /stats for the admins, and the weekly digest.

Only users in FAQBOT_ADMINS reach these handlers (they are registered with a user filter), so
anyone else sending /stats gets exactly what any unknown command gets. The commands appear
in the menu of the admins' own chats only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from telegram import Bot, BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.digest import DIGEST_DAYS, digest_text, due_week
from bot.event_log import log_event
from bot.formatting import split_text
from bot.settings import Settings
from bot.stats import collect_stats, format_stats
from bot.storage import Store
from bot.telegram_handlers import escape
from bot.telegram_wording import COMMANDS
from bot.unanswered import cluster_questions, format_clusters

ADMIN_COMMANDS = (
    ("unanswered", "Staff: top unanswered questions, last 7 days"),
    ("stats", "Staff: questions and votes, last 7 days"),
)
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
    ):
        self.store = store
        self.settings = settings
        self.entry_ids = entry_ids
        self.clock = clock
        self.check_interval = DIGEST_CHECK_INTERVAL

    def handlers(self) -> list[CommandHandler]:
        """The admin-only commands, to register before the unknown-command reply."""
        admins = filters.User(user_id=self.settings.admins)
        return [
            CommandHandler("unanswered", self.unanswered, filters=admins),
            CommandHandler("stats", self.stats, filters=admins),
        ]

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
        """Send this week's digest to every admin if it is due and not yet sent; True if sent."""
        now = self.clock()
        week = due_week(now, self.settings.digest_weekday, self.settings.digest_hour)
        if week is None or not self.settings.admins:
            return False
        if not await self.store.claim_digest_week(week):
            return False
        text = await digest_text(self.store, now, self.entry_ids())
        for admin in sorted(self.settings.admins):
            try:
                for piece in split_text(text):
                    await bot.send_message(admin, escape(piece))
            except TelegramError as error:
                log_event("digest", logging.WARNING, week=week, outcome=type(error).__name__)
        log_event("digest", week=week, outcome="sent", admins=len(self.settings.admins))
        return True


async def _reply(update: Update, text: str) -> None:
    for piece in split_text(text):
        await update.effective_message.reply_text(escape(piece))
