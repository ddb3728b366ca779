"""The Telegram front end: `build_application` wires the bot together, `run` is `faqbot run`.

`running` does the same start-up and shut-down as `run` inside an existing event loop, for
tests and benchmarks. The handlers are in `bot.telegram_handlers`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import sqlite3
import ssl
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import cache
from typing import Any

import aiohttp
import certifi
from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram._utils.defaultvalue import DefaultValue
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, RequestData

from bot.answering import Responder
from bot.broadcast import DELIVERED, Broadcaster, Outcome, Pacer, Send, SendRate, SendResult
from bot.channel import ChannelPoster
from bot.corpus import FaqError
from bot.event_log import configure_logging, log_event
from bot.feed import FeedFilter, FeedReader
from bot.formatting import split_text
from bot.health import Heartbeat
from bot.index_cache import index_cache_at
from bot.outbox import Outbox
from bot.reload import FaqWatcher
from bot.retry import RetryingRateLimiter, retry_after_seconds
from bot.settings import Settings
from bot.storage import Store, StoreError, load_or_create_hash_key
from bot.telegram_admin import AdminTools
from bot.telegram_handlers import ADDRESSED_TO_BOT, NOT_TEXT, QUESTION, ResidentHandlers, escape
from bot.telegram_wording import COMMANDS, RELOAD_FAILED

# The updates the bot asks Telegram for; my_chat_member tells it when a user blocks it.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
JSON_CONTENT = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's HTTP layer on aiohttp instead of its default, httpx.

    httpx and the httpcore, h11 and anyio beneath it are pure Python: they took about half the
    bot's CPU per answer, more than answering does. aiohttp parses HTTP in C and cuts the CPU
    per answer by about 40% (benchmarks/telegram-figures.md). Timeouts and errors reach PTB as
    HTTPXRequest reports them: TimedOut, or NetworkError for anything else that went wrong.
    """

    def __init__(
        self,
        connection_pool_size: int,
        timeout: float,
        media_write_timeout: float = 20.0,
    ):
        self.connection_pool_size = connection_pool_size
        self.timeout = timeout
        self.media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        return self.timeout

    async def initialize(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connection_pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        read, write, connect, pool = (
            default if isinstance(value, DefaultValue) else value
            for value, default in (
                (read_timeout, self.timeout),
                (write_timeout, self.media_write_timeout if files else self.timeout),
                (connect_timeout, self.timeout),
                (pool_timeout, self.timeout),
            )
        )
        # aiohttp has no write timeout: the whole request is bounded by the sum instead.
        limits = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in limits else sum(limits),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            async with self._session.request(
                method,
                url,
                **_body(request_data, files),
                timeout=timeout,
                ssl=_certifi_context() if url.startswith("https:") else True,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _body(request_data: RequestData | None, files: dict[str, Any] | None) -> dict[str, Any]:
    """The request's body: JSON (encoded in C, unlike a form's quoting), multipart with files."""
    if request_data is None:
        return {}
    if not files:
        return {"data": json.dumps(request_data.parameters), "headers": JSON_CONTENT}
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return {"data": form}


@cache
def _certifi_context() -> ssl.SSLContext:
    """The same trusted certificates httpx used (certifi's), loaded once: it takes ~0.1 s."""
    return ssl.create_default_context(cafile=certifi.where())


class HeartbeatRequest(AiohttpRequest):
    """The getUpdates connection: marks the bot alive each time a poll comes back answered."""

    def __init__(self, heartbeat: Heartbeat, **kwargs: Any):
        super().__init__(**kwargs)
        self.heartbeat = heartbeat

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await super().do_request(*args, **kwargs)
        if 200 <= status < 300:
            self.heartbeat.beat()
        return status, payload


def alert_sender(bot: Bot) -> Send:
    """Sends one alert through the Bot API and says, as a SendResult, how it went."""

    async def send(chat_id: int, text: str) -> SendResult:
        try:
            # One attempt: the broadcaster retries, and pauses every alert on a 429.
            await bot.send_message(chat_id, text, rate_limit_args=ALERT_ATTEMPTS)
        except RetryAfter as error:
            return SendResult(Outcome.RATE_LIMITED, str(error), retry_after_seconds(error))
        except Forbidden as error:  # blocked, deactivated, never started the bot
            return SendResult(Outcome.GONE, str(error))
        except BadRequest as error:
            gone = "chat not found" in str(error).lower()
            return SendResult(Outcome.GONE if gone else Outcome.REJECTED, str(error))
        except (TimedOut, NetworkError) as error:  # 5xx arrive as NetworkError
            return SendResult(Outcome.TRANSIENT, f"{type(error).__name__}: {error}")
        return DELIVERED

    return send


# rate_limit_args of an alert's sendMessage: one attempt, which also tells the limiter below it
# is an alert and not a reply.
ALERT_ATTEMPTS = 1


class ReplyFirstLimiter(RetryingRateLimiter):
    """Every message that is not an alert (a reply to a resident) goes ahead of the alerts.

    Each attempt holds a place in the broadcast's send window (`Pacer.reply_turn`) from when it
    is sent until its answer: at once when no broadcast is running, so replies are not slowed
    then; during a broadcast, the next place that frees, before any alert. Together replies and
    alerts stay within Telegram's limits, and residents are not queued behind thousands of
    alerts.
    """

    pacer: Pacer | None = None

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        pacer = self.pacer
        if pacer is None or rate_limit_args == ALERT_ATTEMPTS or "chat_id" not in data:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        chat_id = _chat_key(data["chat_id"])

        async def in_turn(*call_args: Any, **call_kwargs: Any) -> Any:
            async with pacer.reply_turn(chat_id):
                return await callback(*call_args, **call_kwargs)

        return await super().process_request(in_turn, args, kwargs, endpoint, data, rate_limit_args)


def _chat_key(chat_id: Any) -> int | str:
    """The chat id as the broadcast knows it: a number, even when PTB was given "123"."""
    text = str(chat_id)
    return int(text) if text.lstrip("-").isdigit() else text


class BotServices:
    """What the bot runs besides its handlers: the store, the FAQ watcher, the heartbeat."""

    def __init__(
        self,
        settings: Settings,
        handlers: ResidentHandlers,
        heartbeat: Heartbeat,
        limiter: RetryingRateLimiter,
    ):
        self.settings = settings
        self.handlers = handlers
        self.heartbeat = heartbeat
        self.limiter = limiter
        self.watcher: FaqWatcher[Responder] | None = None
        self.admin = AdminTools(
            handlers.store,
            settings,
            entry_ids=lambda: [entry.id for entry in self.handlers.responder.corpus.entries],
            on_published=self._published,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.broadcaster: Broadcaster | None = None
        self._broadcasting: asyncio.Task[None] | None = None
        # Publishing from the council's feed; stopped before the broadcaster (post_stop).
        self.feed_reader: FeedReader | None = None
        self.channel_poster: ChannelPoster | None = None
        self._publishers: list[asyncio.Task[None]] = []
        self.handle_stop_signals = False

    async def start(self, application: Application) -> None:
        """Open the store, register the commands, start watching faq/ (the app's post_init)."""
        await self.handlers.store.open()
        self._start_broadcasting(application)
        self._start_publishers(application)
        self.handlers.question_log.start()
        await application.bot.set_my_commands(
            [BotCommand(name, description) for name, description in COMMANDS]
        )
        await self.admin.show_commands_to_admins(application.bot)
        self._tasks.append(
            asyncio.create_task(self.admin.send_digests(application.bot), name="digest")
        )
        self.watcher = FaqWatcher(
            self.settings.faq_dir,
            load=functools.partial(
                Responder.from_directory, cache=index_cache_at(self.settings.index_cache_dir)
            ),
            on_loaded=self._use_responder,
            on_broken=lambda error: self._tell_admins_about(application, error),
            interval=self.settings.reload_interval,
        )
        self._tasks.append(asyncio.create_task(self.watcher.watch(), name="faq-watcher"))
        if self.settings.webhook_url:
            # No polls to show the bot is alive: beat while the webhook server runs.
            self._tasks.append(asyncio.create_task(self._beat_while_serving(application)))
        if self.handle_stop_signals:
            loop = asyncio.get_running_loop()
            for stop_signal in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(stop_signal, self._stop, application)
        log_event(
            "started",
            mode="webhook" if self.settings.webhook_url else "polling",
            bot=application.bot.username,
            entries=len(self.handlers.responder.corpus.entries),
        )

    async def stop(self, application: Application) -> None:
        """Stop the watcher and close the store (the app's post_shutdown)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.handlers.question_log.close()  # one last try at writing what is queued
        await self.stop_broadcasting(application)
        await self.handlers.store.close()
        log_event("stopped")

    def _start_broadcasting(self, application: Application) -> None:
        settings = self.settings
        self.broadcaster = Broadcaster(
            Outbox(self.handlers.store),
            alert_sender(application.bot),
            SendRate(settings.send_rate, settings.send_rate_per_chat),
            concurrency=settings.alert_concurrency,
            attempts=settings.alert_attempts,
            backoff=settings.alert_backoff,
            poll_interval=settings.outbox_poll_interval,
        )
        if isinstance(self.limiter, ReplyFirstLimiter):
            self.limiter.pacer = self.broadcaster.pacer
        self._broadcasting = asyncio.create_task(self.broadcaster.run(), name="broadcaster")

    def _start_publishers(self, application: Application) -> None:
        settings = self.settings
        if settings.updates_feed:
            self.feed_reader = FeedReader(
                self.handlers.store,
                settings.updates_feed,
                FeedFilter(settings.updates_feed_keywords, settings.updates_feed_category),
                interval=settings.updates_feed_interval,
                on_published=self._published,
            )
            self._publishers.append(asyncio.create_task(self.feed_reader.run(), name="feed"))
        if settings.updates_channel:

            async def post(channel: str, text: str) -> int:
                return (await application.bot.send_message(channel, text)).message_id

            self.channel_poster = ChannelPoster(
                self.handlers.store,
                settings.updates_channel,
                post,
                interval=settings.outbox_poll_interval,
            )
            self._publishers.append(asyncio.create_task(self.channel_poster.run(), name="channel"))

    async def stop_broadcasting(self, application: Application) -> None:
        """Let the alerts in flight finish and record them (the app's post_stop).

        Before the app shuts down its HTTP connections, which post_shutdown comes after.
        """
        for publisher in (self.feed_reader, self.channel_poster):
            if publisher is not None:
                publisher.stop()
        if self._publishers:
            # A feed that hangs must not hold up the stop; a post in progress gets 5 seconds.
            _, hanging = await asyncio.wait(self._publishers, timeout=5.0)
            for task in hanging:
                task.cancel()
            await asyncio.gather(*self._publishers, return_exceptions=True)
            self._publishers.clear()
        if self.broadcaster is not None and self._broadcasting is not None:
            self.broadcaster.stop()
            await self._broadcasting
            self._broadcasting = None

    def _published(self) -> None:
        """An update was just queued here (/publish, the feed): send it now, not at a poll."""
        if self.broadcaster is not None:
            self.broadcaster.wake()
        if self.channel_poster is not None:
            self.channel_poster.wake()

    async def beat(self, update: object, context: object) -> None:
        """Every update received shows the bot is alive (webhook mode has no polls)."""
        self.heartbeat.beat()

    def _stop(self, application: Application) -> None:
        log_event("stopping")
        # Requests still waiting to be retried get one last try now, so stopping stays quick.
        self.limiter.hurry()
        application.stop_running()

    def _use_responder(self, responder: Responder) -> None:
        self.handlers.responder = responder

    async def _tell_admins_about(self, application: Application, error: FaqError) -> None:
        report = RELOAD_FAILED + "\n\n" + "\n".join(str(problem) for problem in error.problems)
        for admin in sorted(self.settings.admins):
            try:
                for piece in split_text(report):
                    await application.bot.send_message(admin, escape(piece))
            except TelegramError as send_error:
                # The admin may never have started a chat with the bot.
                log_event("admin_alert", logging.WARNING, outcome=type(send_error).__name__)

    async def _beat_while_serving(self, application: Application) -> None:
        while True:
            if application.updater is not None and application.updater.running:
                self.heartbeat.beat()
            await asyncio.sleep(min(5.0, self.settings.heartbeat_max_age / 4))


class FaqBotApplication(Application):
    """PTB's Application, holding the services it starts so tests and benchmarks can see them."""

    def __init__(self, *, services: BotServices, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services


def build_application(settings: Settings, responder: Responder) -> FaqBotApplication:
    """The bot as python-telegram-bot's Application: every handler registered here, in order."""
    hash_key = (
        settings.hash_key.encode()
        if settings.hash_key
        else load_or_create_hash_key(settings.hash_key_file)
    )
    store = Store(settings.database_path, hash_key)
    handlers = ResidentHandlers(responder, store, settings)
    heartbeat = Heartbeat(settings.heartbeat_file)
    limiter = ReplyFirstLimiter(settings.retry_attempts, settings.retry_backoff)
    services = BotServices(settings, handlers, heartbeat, limiter)
    timeout = settings.request_timeout
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.removesuffix("bot") + "file/bot")
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                allow_sending_without_reply=True,
            )
        )
        .rate_limiter(limiter)
        .concurrent_updates(settings.concurrent_updates)
        # Alerts in flight each hold a connection: theirs are added, so replies never wait.
        .request(
            AiohttpRequest(settings.connection_pool_size + settings.alert_concurrency, timeout)
        )
        .get_updates_request(HeartbeatRequest(heartbeat, connection_pool_size=2, timeout=timeout))
        .post_init(services.start)
        .post_stop(services.stop_broadcasting)
        .post_shutdown(services.stop)
        .application_class(FaqBotApplication, kwargs={"services": services})
        .build()
    )

    application.add_handler(TypeHandler(Update, services.beat), group=-2)
    application.add_handler(MessageHandler(ADDRESSED_TO_BOT, handlers.slow_down_floods), group=-1)

    deep_link_subscribe = filters.Regex(r"^/start(@\w+)?\s+subscribe\s*$")
    application.add_handlers(
        [
            CommandHandler("start", handlers.start_and_subscribe, filters=deep_link_subscribe),
            CommandHandler("start", handlers.start),
            CommandHandler("help", handlers.help),
            CommandHandler("topics", handlers.topics),
            CommandHandler("updates", handlers.updates),
            CommandHandler("subscribe", handlers.subscribe),
            CommandHandler("unsubscribe", handlers.unsubscribe),
            CommandHandler("privacy", handlers.privacy),
            CommandHandler("forget", handlers.forget),
            *services.admin.handlers(),
            MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, handlers.unknown_command),
            MessageHandler(QUESTION, handlers.question),
            MessageHandler(NOT_TEXT, handlers.not_text),
            CallbackQueryHandler(handlers.choice_pressed, pattern=r"^choice[:#]"),
            CallbackQueryHandler(handlers.vote_pressed, pattern=r"^vote[:#]"),
            CallbackQueryHandler(handlers.topic_pressed, pattern=r"^topic[:#]"),
            CallbackQueryHandler(handlers.topics_page_pressed, pattern=r"^page[:#]"),
            CallbackQueryHandler(handlers.updates_page_pressed, pattern=r"^updates[:#]"),
        ]
    )
    application.add_error_handler(handlers.on_error)
    return application


def polling_arguments(settings: Settings) -> dict[str, Any]:
    return {"timeout": settings.poll_timeout, "allowed_updates": ALLOWED_UPDATES}


def webhook_arguments(settings: Settings) -> dict[str, Any]:
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": settings.webhook_path,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


@asynccontextmanager
async def running(application: Application, settings: Settings) -> AsyncIterator[Application]:
    """Run the bot inside an already running event loop, in the same steps as `run`."""
    try:
        async with application:  # initialize ... shutdown
            await application.post_init(application)
            if settings.webhook_url:
                await application.updater.start_webhook(**webhook_arguments(settings))
            else:
                await application.updater.start_polling(**polling_arguments(settings))
            await application.start()
            try:
                yield application
            finally:
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()
                if application.post_stop is not None:
                    await application.post_stop(application)
    finally:
        await application.post_shutdown(application)


def run(settings: Settings) -> int:
    """`faqbot run`: serve residents until stopped (SIGTERM or Ctrl-C); the exit code."""
    configure_logging(
        secrets=[settings.telegram_token, settings.webhook_secret or ""],
        expected_errors=(InvalidToken,),
    )
    try:
        cache = index_cache_at(settings.index_cache_dir)
        responder = Responder.from_directory(settings.faq_dir, cache)
    except FaqError as error:
        print(f"Error: the FAQ in {settings.faq_dir} has problems:\n{error}", file=sys.stderr)
        return 1
    try:
        application = build_application(settings, responder)
    except (StoreError, OSError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    application.services.handle_stop_signals = True
    asyncio.set_event_loop(asyncio.new_event_loop())
    try:
        if settings.webhook_url:
            application.run_webhook(
                **webhook_arguments(settings), bootstrap_retries=3, stop_signals=None
            )
        else:
            application.run_polling(
                **polling_arguments(settings), bootstrap_retries=3, stop_signals=None
            )
    except InvalidToken:
        print(
            "Error: Telegram does not accept TELEGRAM_BOT_TOKEN - copy the token again from "
            "BotFather",
            file=sys.stderr,
        )
        return 1
    except (StoreError, sqlite3.Error) as error:
        print(f"Error: cannot use the database {settings.database_path}: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # for example the webhook's port is taken
        print(f"Error: {error}", file=sys.stderr)
        return 1
    except NetworkError as error:
        print(
            f"Error: cannot reach the Telegram Bot API at {settings.telegram_api_url} ({error})",
            file=sys.stderr,
        )
        return 1
    return 0
