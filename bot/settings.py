"""The bot's configuration: the one place that reads the environment (and a `.env` file)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"

# "123456789:AAE-..." - a numeric bot id, a colon, then letters, digits, "-" and "_".
TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]+")
# Telegram accepts 1-256 of these characters in a webhook's secret token.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
# A channel's public @name (5-32 letters, digits and "_") or its numeric id, -100 and digits.
CHANNEL_PATTERN = re.compile(r"@[A-Za-z][A-Za-z0-9_]{4,31}|-100\d+")


class SettingsError(Exception):
    """The configuration is missing or wrong; the message is one line saying what to set."""


@dataclass(frozen=True)
class Settings:
    telegram_token: str
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    faq_dir: Path = Path("faq")
    database_path: Path = Path("faqbot.sqlite3")
    admins: frozenset[int] = frozenset()
    # Webhook mode when `webhook_url` is set; long polling otherwise.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    # Keys the hashes that stand for users in the database. None: generated and kept in a file
    # beside the database, so the same user keeps the same hash across restarts.
    hash_key: str | None = None
    # Written on every poll and update; the Docker HEALTHCHECK reads it. None: beside the DB.
    heartbeat_path: Path | None = None
    heartbeat_max_age: float = 60.0
    # How often the FAQ folder is checked for edits; edits must show within 10 seconds.
    reload_interval: float = 2.0
    # Long-poll timeout of getUpdates: Telegram holds the request open this long when idle.
    poll_timeout: float = 10.0
    # A user sending more than `flood_limit` messages in `flood_window` seconds is slowed down.
    flood_limit: int = 20
    flood_window: float = 60.0
    # Sends that fail on network errors, timeouts, 5xx or 429 are tried again this many times,
    # waiting retry_backoff, 2 x retry_backoff, ... (or Telegram's retry_after) in between.
    retry_attempts: int = 6
    retry_backoff: float = 1.0
    # Updates handled at the same time, and HTTP connections for their replies. Fewer
    # connections than updates: a handler spends part of its time answering, not sending
    # (benchmarks/telegram-figures.md).
    concurrent_updates: int = 16
    connection_pool_size: int = 8
    # Per-request timeouts of the HTTP client, in seconds.
    request_timeout: float = 10.0
    log_message_text: bool = False
    # Alerts: messages a second in all and to one chat (FAQBOT_SEND_RATE="30,1"; Telegram's free
    # limits), alerts sent at once (FAQBOT_ALERT_CONCURRENCY; each has an HTTP connection of its
    # own, and a kill can send at most this many twice), attempts after timeouts and 5xx
    # (waiting alert_backoff, 2 x alert_backoff, ...), and how often the outbox is looked at for
    # alerts published by `faqbot publish` (FAQBOT_OUTBOX_POLL_INTERVAL).
    send_rate: float = 30.0
    send_rate_per_chat: float = 1.0
    alert_concurrency: int = 4
    alert_attempts: int = 5
    alert_backoff: float = 2.0
    outbox_poll_interval: float = 1.0
    # Logged questions and votes older than this many days are deleted.
    retention_days: int = 180
    # The weekly digest to the admins: ISO weekday (1 = Monday) and hour, London time.
    # digest_weekday None: no digest.
    digest_weekday: int | None = 1
    digest_hour: int = 9
    # The council's RSS or Atom news feed: each new item (matching the keywords, any of them, and
    # the category, when given) becomes an update published once. None: no feed.
    updates_feed: str | None = None
    updates_feed_keywords: tuple[str, ...] = ()
    updates_feed_category: str | None = None
    updates_feed_interval: float = 600.0
    # A channel the bot posts each published update to (@name or -100... id). None: no channel.
    updates_channel: str | None = None

    # Where the trained index is kept between starts (bot/index_cache.py); None: not kept.
    # FAQBOT_INDEX_CACHE names another folder, or is "off". The default is beside the database.
    index_cache_path: Path | None = None
    index_cache_off: bool = False

    @property
    def index_cache_dir(self) -> Path | None:
        if self.index_cache_off:
            return None
        return self.index_cache_path or self.database_path.parent / "faqbot-index"

    @property
    def heartbeat_file(self) -> Path:
        return self.heartbeat_path or self.database_path.parent / "faqbot.heartbeat"

    @property
    def hash_key_file(self) -> Path:
        """Where a generated hash key is kept when FAQBOT_HASH_KEY is not set."""
        return self.database_path.parent / "faqbot.hashkey"

    @property
    def webhook_path(self) -> str:
        """The path part of the webhook URL, which the bot's own web server listens on."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] = os.environ,
        dotenv_path: Path | None = Path(".env"),
        require_token: bool = True,
    ) -> Settings:
        """Read the settings; values in the environment win over those in the `.env` file."""
        values: dict[str, str] = {}
        if dotenv_path is not None and dotenv_path.is_file():
            values.update(parse_dotenv(dotenv_path.read_text(encoding="utf-8"), str(dotenv_path)))
        values.update(environ)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is None and require_token:
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set - put the token BotFather gave you in the "
                "environment or in a .env file as TELEGRAM_BOT_TOKEN=123456:ABC..."
            )
        if token is not None and not TOKEN_PATTERN.fullmatch(token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token - it should be the bot's "
                "number, a colon and letters, like 123456:ABC-DEF1234ghIkl"
            )

        api_url = get("FAQBOT_TELEGRAM_API_URL") or DEFAULT_TELEGRAM_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise SettingsError(
                f"FAQBOT_TELEGRAM_API_URL is {api_url!r} - it must start with https:// or http://"
            )

        webhook_url = get("FAQBOT_WEBHOOK_URL")
        webhook_secret = get("FAQBOT_WEBHOOK_SECRET")
        if webhook_url is not None:
            if not webhook_url.startswith(("https://", "http://")):
                raise SettingsError(
                    f"FAQBOT_WEBHOOK_URL is {webhook_url!r} - it must start with https://"
                )
            if webhook_secret is None:
                raise SettingsError(
                    "FAQBOT_WEBHOOK_SECRET is not set - a webhook needs a secret of 1-256 "
                    "letters, digits, '_' or '-' so the bot can tell Telegram's requests apart"
                )
        if webhook_secret is not None and not SECRET_PATTERN.fullmatch(webhook_secret):
            raise SettingsError(
                "FAQBOT_WEBHOOK_SECRET may only use 1-256 letters, digits, '_' and '-'"
            )

        database_path = Path(get("FAQBOT_DB") or cls.database_path)
        heartbeat = get("FAQBOT_HEARTBEAT")
        return cls(
            telegram_token=token or "",
            telegram_api_url=api_url,
            faq_dir=Path(get("FAQBOT_FAQ_DIR") or cls.faq_dir),
            database_path=database_path,
            admins=_parse_admins(get("FAQBOT_ADMINS")),
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
            webhook_listen=get("FAQBOT_WEBHOOK_LISTEN") or cls.webhook_listen,
            webhook_port=_parse_port(get("FAQBOT_WEBHOOK_PORT")),
            hash_key=get("FAQBOT_HASH_KEY"),
            heartbeat_path=Path(heartbeat) if heartbeat else None,
            **_parse_index_cache(get("FAQBOT_INDEX_CACHE")),
            log_message_text=_parse_flag("FAQBOT_LOG_MESSAGE_TEXT", get("FAQBOT_LOG_MESSAGE_TEXT")),
            **_parse_send_rate(get("FAQBOT_SEND_RATE")),
            alert_concurrency=_parse_alert_concurrency(get("FAQBOT_ALERT_CONCURRENCY")),
            outbox_poll_interval=_parse_outbox_poll_interval(get("FAQBOT_OUTBOX_POLL_INTERVAL")),
            retention_days=_parse_retention(get("FAQBOT_RETENTION_DAYS")),
            digest_weekday=_parse_weekday(get("FAQBOT_DIGEST_DAY")),
            digest_hour=_parse_hour(get("FAQBOT_DIGEST_HOUR")),
            updates_feed=_parse_feed_url(get("FAQBOT_UPDATES_FEED")),
            updates_feed_keywords=tuple(
                keyword.strip().lower()
                for keyword in (get("FAQBOT_UPDATES_FEED_KEYWORDS") or "").split(",")
                if keyword.strip()
            ),
            updates_feed_category=get("FAQBOT_UPDATES_FEED_CATEGORY"),
            updates_feed_interval=_parse_feed_interval(get("FAQBOT_UPDATES_FEED_INTERVAL")),
            updates_channel=_parse_channel(get("FAQBOT_UPDATES_CHANNEL")),
        )


# How a yes/no setting may be written; FAQBOT_INDEX_CACHE takes the "no" words as "off".
_TRUE_WORDS = ("1", "true", "yes", "on")
_FALSE_WORDS = ("0", "false", "no", "off")


def _parse_index_cache(value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    if value.lower() in _FALSE_WORDS:
        return {"index_cache_off": True}
    return {"index_cache_path": Path(value)}


def _parse_admins(value: str | None) -> frozenset[int]:
    if value is None:
        return frozenset()
    admins = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise SettingsError(
                f"FAQBOT_ADMINS has {part!r} - list Telegram user ids (numbers) separated by "
                "commas, like 12345,67890"
            )
        admins.add(int(part))
    return frozenset(admins)


def _whole_number(name: str, value: str, low: int, high: float, advice: str) -> int:
    """`value` as a whole number from `low` to `high`, or an error naming the setting."""
    # isdecimal, not isdigit: "²" is a digit that int() cannot read.
    if not value.isdecimal() or not low <= int(value) <= high:
        raise SettingsError(f"{name} is {value!r} - {advice}")
    return int(value)


def _seconds(name: str, value: str, low: float, high: float, advice: str) -> float:
    """`value` as a number of seconds from `low` to `high` ("nan" and "inf" are neither)."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and low <= seconds <= high):
        raise SettingsError(f"{name} is {value!r} - {advice}")
    return seconds


def _parse_port(value: str | None) -> int:
    if value is None:
        return Settings.webhook_port
    return _whole_number(
        "FAQBOT_WEBHOOK_PORT", value, 1, 65535, "it must be a port number, like 8443"
    )


def _parse_retention(value: str | None) -> int:
    if value is None:
        return Settings.retention_days
    return _whole_number(
        "FAQBOT_RETENTION_DAYS",
        value,
        1,
        math.inf,
        "it must be a whole number of days, like 180",
    )


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse_weekday(value: str | None) -> int | None:
    if value is None:
        return Settings.digest_weekday
    if value.lower() in ("off", "none", "never"):
        return None
    for number, day in enumerate(WEEKDAYS, 1):
        if len(value) >= 3 and day.startswith(value.lower()):
            return number
    raise SettingsError(
        f"FAQBOT_DIGEST_DAY is {value!r} - set a day of the week, like monday, or off"
    )


def _parse_hour(value: str | None) -> int:
    if value is None:
        return Settings.digest_hour
    return _whole_number(
        "FAQBOT_DIGEST_HOUR", value, 0, 23, "set an hour from 0 to 23 (London time), like 9"
    )


def _parse_feed_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise SettingsError(
            f"FAQBOT_UPDATES_FEED is {value!r} - set the address of the council's RSS or Atom "
            "feed, starting with https://"
        )
    return value


def _parse_feed_interval(value: str | None) -> float:
    """Seconds between two looks at the feed; at least 10, so a council site is not hammered."""
    if value is None:
        return Settings.updates_feed_interval
    return _seconds(
        "FAQBOT_UPDATES_FEED_INTERVAL",
        value,
        10,
        math.inf,
        "set how many seconds to wait between two looks at the feed, 10 or more, like 600",
    )


def _parse_channel(value: str | None) -> str | None:
    if value is not None and not CHANNEL_PATTERN.fullmatch(value):
        raise SettingsError(
            f"FAQBOT_UPDATES_CHANNEL is {value!r} - set the channel's public name, like "
            "@croydon_updates, or its id, like -1001234567890"
        )
    return value


def _parse_send_rate(value: str | None) -> dict[str, float]:
    """FAQBOT_SEND_RATE: "30" (messages a second in all) or "30,1" (and to each chat)."""
    if value is None:
        return {}
    parts = [part.strip() for part in value.split(",")]
    try:
        rates = [float(part) for part in parts]
    except ValueError:
        rates = []
    if len(rates) not in (1, 2) or not all(0 < rate <= 1000 for rate in rates):
        raise SettingsError(
            f"FAQBOT_SEND_RATE is {value!r} - give messages a second in all, optionally with "
            "messages a second to one chat, like 30 or 30,1 (Telegram's free limits)"
        )
    if len(rates) == 1:
        return {"send_rate": rates[0]}
    return {"send_rate": rates[0], "send_rate_per_chat": rates[1]}


# More alerts in flight help only when each send takes long (a far-away Bot API server): the
# rate is at most the concurrency divided by the time one send takes. A kill mid-broadcast can
# send the alerts in flight twice, so there is no point going far beyond what the rate needs.
MAX_ALERT_CONCURRENCY = 100
# Issue 5: an alert queued by `faqbot publish` starts going out within 5 seconds.
MAX_OUTBOX_POLL_INTERVAL = 5.0
MIN_OUTBOX_POLL_INTERVAL = 0.1


def _parse_alert_concurrency(value: str | None) -> int:
    if value is None:
        return Settings.alert_concurrency
    return _whole_number(
        "FAQBOT_ALERT_CONCURRENCY",
        value,
        1,
        MAX_ALERT_CONCURRENCY,
        "set how many alerts may be on their way at once, a whole number from 1 to "
        f"{MAX_ALERT_CONCURRENCY}, like 4 (about the send rate times the seconds one send takes)",
    )


def _parse_outbox_poll_interval(value: str | None) -> float:
    if value is None:
        return Settings.outbox_poll_interval
    return _seconds(
        "FAQBOT_OUTBOX_POLL_INTERVAL",
        value,
        MIN_OUTBOX_POLL_INTERVAL,
        MAX_OUTBOX_POLL_INTERVAL,
        "set how many seconds the bot waits between two looks for alerts queued by "
        f"`faqbot publish`, from {MIN_OUTBOX_POLL_INTERVAL:g} to {MAX_OUTBOX_POLL_INTERVAL:g} "
        "(alerts must start within 5 seconds), like 1",
    )


def _parse_flag(name: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in _TRUE_WORDS:
        return True
    if value.lower() in _FALSE_WORDS:
        return False
    raise SettingsError(f"{name} is {value!r} - set it to true or false")


def parse_dotenv(text: str, source: str = ".env") -> dict[str, str]:
    """Read KEY=VALUE lines, skipping blanks and # comments; values may be quoted.

    Enough of the usual `.env` conventions for configuration: `export KEY=value`, 'single' and
    "double" quotes (double quotes understand \\n, \\" and \\\\), and `# comments` after an
    unquoted value. No variable expansion.
    """
    values: dict[str, str] = {}
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, equals, value = line.partition("=")
        key = key.strip()
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise SettingsError(
                f"{source}:{number}: expected a line like NAME=value, found {raw_line.strip()!r}"
            )
        values[key] = _parse_dotenv_value(value.strip(), f"{source}:{number}")
    return values


def _parse_dotenv_value(value: str, where: str) -> str:
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = _closing_quote(value, quote)
        if end is None:
            raise SettingsError(f"{where}: the value opens a {quote} quote but never closes it")
        rest = value[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise SettingsError(f"{where}: unexpected text after the closing quote: {rest!r}")
        inner = value[1:end]
        if quote == '"':
            inner = re.sub(r"\\(.)", _unescape, inner)
        return inner
    comment = re.search(r"\s#", value)
    return value[: comment.start()].rstrip() if comment else value


def _closing_quote(value: str, quote: str) -> int | None:
    index = 1
    while index < len(value):
        if value[index] == "\\" and quote == '"':
            index += 2
            continue
        if value[index] == quote:
            return index
        index += 1
    return None


def _unescape(match: re.Match[str]) -> str:
    return {"n": "\n", "t": "\t"}.get(match.group(1), match.group(1))
