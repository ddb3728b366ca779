from pathlib import Path

import pytest

from bot.settings import DEFAULT_TELEGRAM_API_URL, Settings, SettingsError, parse_dotenv

TOKEN = "123456:ABC-DEF1234ghIkl"


def from_env(environ: dict[str, str], dotenv: Path | None = None, **kwargs) -> Settings:
    return Settings.from_env(environ, dotenv_path=dotenv, **kwargs)


def test_only_the_token_is_required_and_everything_else_has_a_default():
    settings = from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert settings == Settings(telegram_token=TOKEN)
    assert settings.telegram_api_url == DEFAULT_TELEGRAM_API_URL
    assert settings.faq_dir == Path("faq")
    assert settings.database_path == Path("faqbot.sqlite3")
    assert settings.webhook_url is None
    assert settings.heartbeat_file == Path("faqbot.heartbeat")


def test_every_documented_variable_is_read():
    settings = from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "FAQBOT_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "FAQBOT_FAQ_DIR": "/srv/faq",
            "FAQBOT_DB": "/data/faqbot.sqlite3",
            "FAQBOT_ADMINS": "111, 222,",
            "FAQBOT_WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "FAQBOT_WEBHOOK_SECRET": "s3cret_-",
            "FAQBOT_WEBHOOK_LISTEN": "127.0.0.1",
            "FAQBOT_WEBHOOK_PORT": "8080",
            "FAQBOT_HASH_KEY": "k",
            "FAQBOT_HEARTBEAT": "/tmp/hb",
            "FAQBOT_LOG_MESSAGE_TEXT": "true",
        }
    )
    assert settings.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert settings.faq_dir == Path("/srv/faq")
    assert settings.database_path == Path("/data/faqbot.sqlite3")
    assert settings.admins == frozenset({111, 222})
    assert settings.webhook_url == "https://bot.example.org/telegram/hook"
    assert settings.webhook_path == "telegram/hook"
    assert settings.webhook_secret == "s3cret_-"
    assert (settings.webhook_listen, settings.webhook_port) == ("127.0.0.1", 8080)
    assert settings.hash_key == "k"
    assert settings.heartbeat_file == Path("/tmp/hb")
    assert settings.hash_key_file == Path("/data/faqbot.hashkey")
    assert settings.log_message_text is True


@pytest.mark.parametrize(
    ("environ", "complaint"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "  "}, "TELEGRAM_BOT_TOKEN is not set"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": "ABC:123"}, "does not look like a bot token"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_ADMINS": "12,bob"}, "FAQBOT_ADMINS has 'bob'"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_WEBHOOK_PORT": "80a"}, "FAQBOT_WEBHOOK_PORT"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_TELEGRAM_API_URL": "ftp://x"}, "https://"),
        (
            {"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_WEBHOOK_URL": "https://x.org/hook"},
            "FAQBOT_WEBHOOK_SECRET is not set",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "FAQBOT_WEBHOOK_URL": "https://x.org/hook",
                "FAQBOT_WEBHOOK_SECRET": "has spaces",
            },
            "FAQBOT_WEBHOOK_SECRET may only use",
        ),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_LOG_MESSAGE_TEXT": "maybe"}, "true or false"),
    ],
)
def test_bad_configuration_is_one_line_saying_what_to_set(environ, complaint):
    with pytest.raises(SettingsError) as raised:
        from_env(environ)
    message = str(raised.value)
    assert complaint in message
    assert "\n" not in message


def test_the_token_is_optional_when_only_paths_are_needed():
    assert from_env({}, require_token=False).telegram_token == ""


def test_a_dotenv_file_is_read_and_the_environment_wins_over_it(tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nFAQBOT_FAQ_DIR=from-file\nFAQBOT_DB=file.db\n")
    settings = from_env({"FAQBOT_DB": "env.db"}, dotenv)
    assert settings.telegram_token == TOKEN
    assert settings.faq_dir == Path("from-file")
    assert settings.database_path == Path("env.db")


def test_a_missing_dotenv_file_is_fine(tmp_path: Path):
    assert from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, tmp_path / ".env").telegram_token == TOKEN


def test_dotenv_understands_comments_quotes_and_export():
    text = """
# the bot's settings
export TELEGRAM_BOT_TOKEN=123:abc   # from BotFather
FAQBOT_ADMINS = "1, 2"
SINGLE='a # not a comment'
DOUBLE="line one\\nline \\"two\\""
HASH=a#b
EMPTY=
"""
    assert parse_dotenv(text) == {
        "TELEGRAM_BOT_TOKEN": "123:abc",
        "FAQBOT_ADMINS": "1, 2",
        "SINGLE": "a # not a comment",
        "DOUBLE": 'line one\nline "two"',
        "HASH": "a#b",
        "EMPTY": "",
    }


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("JUST_A_NAME\n", ".env:1: expected a line like NAME=value"),
        ("\n\n1BAD=x\n", ".env:3: expected a line like NAME=value"),
        ('A="open\n', '.env:1: the value opens a " quote but never closes it'),
        ("A='x' y\n", ".env:1: unexpected text after the closing quote"),
    ],
)
def test_a_broken_dotenv_line_is_reported_with_its_line_number(text, complaint):
    with pytest.raises(SettingsError, match=complaint.replace('"', ".")):
        parse_dotenv(text)


def test_retention_and_the_weekly_digest_are_read_and_default_sensibly():
    defaults = from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert (defaults.retention_days, defaults.digest_weekday, defaults.digest_hour) == (180, 1, 9)
    settings = from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "FAQBOT_RETENTION_DAYS": "90",
            "FAQBOT_DIGEST_DAY": "Friday",
            "FAQBOT_DIGEST_HOUR": "16",
        }
    )
    assert (settings.retention_days, settings.digest_weekday, settings.digest_hour) == (90, 5, 16)
    off = from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_DIGEST_DAY": "off"})
    assert off.digest_weekday is None


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("FAQBOT_RETENTION_DAYS", "0", "whole number of days"),
        ("FAQBOT_RETENTION_DAYS", "six months", "whole number of days"),
        ("FAQBOT_DIGEST_DAY", "someday", "day of the week"),
        ("FAQBOT_DIGEST_HOUR", "25", "hour from 0 to 23"),
    ],
)
def test_bad_retention_and_digest_settings_say_what_to_set(name, value, complaint):
    with pytest.raises(SettingsError, match=complaint):
        from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: value})


def test_the_updates_feed_and_channel_are_read_and_off_by_default():
    defaults = from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert (defaults.updates_feed, defaults.updates_channel) == (None, None)
    settings = from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "FAQBOT_UPDATES_FEED": "https://www.croydon.gov.uk/news/rss",
            "FAQBOT_UPDATES_FEED_KEYWORDS": "Ofsted, children's services,,",
            "FAQBOT_UPDATES_FEED_CATEGORY": "Children",
            "FAQBOT_UPDATES_FEED_INTERVAL": "300",
            "FAQBOT_UPDATES_CHANNEL": "@croydon_updates",
        }
    )
    assert settings.updates_feed == "https://www.croydon.gov.uk/news/rss"
    assert settings.updates_feed_keywords == ("ofsted", "children's services")
    assert (settings.updates_feed_category, settings.updates_feed_interval) == ("Children", 300.0)
    assert settings.updates_channel == "@croydon_updates"
    by_id = from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "FAQBOT_UPDATES_CHANNEL": "-1001234567890"})
    assert by_id.updates_channel == "-1001234567890"


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("FAQBOT_UPDATES_FEED", "www.croydon.gov.uk/rss", "RSS or Atom feed"),
        ("FAQBOT_UPDATES_FEED_INTERVAL", "1", "10 or more"),
        ("FAQBOT_UPDATES_FEED_INTERVAL", "hourly", "10 or more"),
        ("FAQBOT_UPDATES_FEED_INTERVAL", "nan", "10 or more"),
        ("FAQBOT_UPDATES_FEED_INTERVAL", "inf", "10 or more"),
        ("FAQBOT_UPDATES_CHANNEL", "croydon_updates", "@croydon_updates"),
        ("FAQBOT_UPDATES_CHANNEL", "12345", "-1001234567890"),
    ],
)
def test_bad_feed_and_channel_settings_say_what_to_set(name, value, complaint):
    with pytest.raises(SettingsError, match=complaint):
        from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: value})


def test_alert_concurrency_and_the_outbox_poll_interval_are_read_and_default_sensibly():
    defaults = from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert (defaults.alert_concurrency, defaults.outbox_poll_interval) == (4, 1.0)
    settings = from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "FAQBOT_ALERT_CONCURRENCY": "12",
            "FAQBOT_OUTBOX_POLL_INTERVAL": "2.5",
        }
    )
    assert (settings.alert_concurrency, settings.outbox_poll_interval) == (12, 2.5)
    edges = from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "FAQBOT_ALERT_CONCURRENCY": "100",
            "FAQBOT_OUTBOX_POLL_INTERVAL": "5",
        }
    )
    assert (edges.alert_concurrency, edges.outbox_poll_interval) == (100, 5.0)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("FAQBOT_ALERT_CONCURRENCY", "0", "whole number from 1 to 100"),
        ("FAQBOT_ALERT_CONCURRENCY", "101", "whole number from 1 to 100"),
        ("FAQBOT_ALERT_CONCURRENCY", "2.5", "whole number from 1 to 100"),
        ("FAQBOT_ALERT_CONCURRENCY", "lots", "whole number from 1 to 100"),
        ("FAQBOT_ALERT_CONCURRENCY", "²", "whole number from 1 to 100"),
        ("FAQBOT_OUTBOX_POLL_INTERVAL", "0", "from 0.1 to 5"),
        ("FAQBOT_OUTBOX_POLL_INTERVAL", "10", "from 0.1 to 5"),
        ("FAQBOT_OUTBOX_POLL_INTERVAL", "nan", "from 0.1 to 5"),
        ("FAQBOT_OUTBOX_POLL_INTERVAL", "inf", "from 0.1 to 5"),
        ("FAQBOT_OUTBOX_POLL_INTERVAL", "every second", "from 0.1 to 5"),
    ],
)
def test_bad_alert_concurrency_and_poll_interval_say_what_to_set(name, value, complaint):
    with pytest.raises(SettingsError, match=f"^{name} is '{value}' - .*{complaint}"):
        from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: value})
