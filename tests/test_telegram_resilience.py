"""The bot keeps serving through Telegram's errors, FAQ edits, webhooks and being stopped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ADMIN_ID, TELEGRAM_FAQ, wait_until, write_faq
from fake_telegram import FakeTelegram

from bot.settings import Settings
from bot.telegram_wording import APOLOGY, RELOAD_FAILED

RESIDENT = 1001
OFSTED_ANSWER = "Ofsted inspects services for children & young people <in England>."
REPO = Path(__file__).parent.parent


# Telegram's errors


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda fake: fake.flood_next("sendMessage", retry_after=1), id="429"),
        pytest.param(lambda fake: fake.fail_next("sendMessage", 2, status=502), id="502"),
        pytest.param(lambda fake: fake.fail_next("sendMessage", 1, status=500), id="500"),
        pytest.param(lambda fake: fake.hang_next("sendMessage", seconds=5), id="timeout"),
    ],
)
async def test_a_reply_survives_telegram_errors_and_timeouts(
    start_bot, fake_telegram: FakeTelegram, fault
):
    async with start_bot(request_timeout=0.5):
        fault(fake_telegram)
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT, timeout=10)
    assert answer.text.startswith(OFSTED_ANSWER)
    assert len(fake_telegram.calls("sendMessage")) > 1


async def test_a_429_is_waited_out_for_as_long_as_telegram_asks(
    start_bot, fake_telegram: FakeTelegram
):
    async with start_bot():
        fake_telegram.flood_next("sendMessage", retry_after=1)
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        started = time.monotonic()
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT, timeout=10)
    assert time.monotonic() - started >= 1.0


async def test_a_failing_handler_gets_an_apology_and_the_bot_goes_on(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot():
        # Every attempt at the answer fails; the apology after it goes through.
        fake_telegram.fail_next("sendMessage", bot_settings.retry_attempts, status=500)
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        [apology] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT, timeout=10)
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        replies = await fake_telegram.wait_for(count=2, chat_id=RESIDENT, timeout=10)
    assert apology.text == APOLOGY
    assert replies[1].text.startswith(OFSTED_ANSWER)


# Editing faq/ while the bot runs


async def test_a_good_faq_edit_is_answered_from_without_a_restart(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    async with start_bot() as app:
        before = app.services.handlers.responder
        write_faq(
            bot_settings.faq_dir,
            {
                "bins.yaml": """\
faqs:
  - id: bin-collection
    question: When is my bin collection?
    answer: Bins are not a children's services matter; see croydon.gov.uk/bins.
"""
            },
        )
        await wait_until(lambda: app.services.handlers.responder is not before)
        fake_telegram.private_message("When is my bin collection?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert answer.text == "Bins are not a children's services matter; see croydon.gov.uk/bins."
    assert fake_telegram.sent_messages(ADMIN_ID) == []


async def test_a_broken_faq_edit_is_not_loaded_and_the_admins_are_told_once_where(
    start_bot, fake_telegram: FakeTelegram, bot_settings: Settings
):
    ofsted_file = bot_settings.faq_dir / "ofsted.yaml"
    async with start_bot() as app:
        before = app.services.handlers.responder
        ofsted_file.write_text(
            TELEGRAM_FAQ["ofsted.yaml"].replace("  - id: rating-2024\n", "  - id: Rating 2024\n"),
            encoding="utf-8",
        )
        [alert] = await fake_telegram.wait_for(count=1, chat_id=ADMIN_ID)
        assert alert.text.startswith(RELOAD_FAILED)
        assert f"{ofsted_file}:10:" in alert.text
        assert '"Rating 2024"' in alert.text

        # Still answering from the last good version, and not telling the admins again.
        assert app.services.handlers.responder is before
        assert await app.services.watcher.check() is False
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        assert answer.text.startswith(OFSTED_ANSWER)

        # Fixing the file loads it.
        ofsted_file.write_text(TELEGRAM_FAQ["ofsted.yaml"], encoding="utf-8")
        await wait_until(lambda: app.services.handlers.responder is not before)
    assert len(fake_telegram.sent_messages(ADMIN_ID)) == 1


# Webhook mode


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_answers_updates_that_carry_the_secret_and_refuses_others(
    start_bot, fake_telegram: FakeTelegram
):
    port = free_port()
    webhook = {
        "webhook_url": f"http://127.0.0.1:{port}/telegram/hook",
        "webhook_secret": "the-right-secret",
        "webhook_listen": "127.0.0.1",
        "webhook_port": port,
    }
    async with start_bot(**webhook) as app:
        assert fake_telegram.webhook_url == webhook["webhook_url"]
        assert app.services.settings.heartbeat_file.exists()
        forged = fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        url = webhook["webhook_url"]
        assert await fake_telegram.post_update(url, forged, secret_token="wrong") == 403
        assert await fake_telegram.post_update(url, forged) == 403
        assert await fake_telegram.deliver_to_webhook() == [200]
        await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
    assert fake_telegram.calls("getUpdates") == []
    # Stopping finished every update received: the forged ones produced nothing.
    assert len(fake_telegram.sent_messages(RESIDENT)) == 1


# `faqbot run` as a process


def bot_environment(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "TELEGRAM_BOT_TOKEN": settings.telegram_token,
        "FAQBOT_TELEGRAM_API_URL": settings.telegram_api_url,
        "FAQBOT_FAQ_DIR": str(settings.faq_dir),
        "FAQBOT_DB": str(settings.database_path),
        "FAQBOT_ADMINS": ",".join(str(admin) for admin in settings.admins),
        **extra,
    }


async def start_faqbot_run(settings: Settings, cwd: Path, **extra: str):
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=bot_environment(settings, **extra),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_faqbot_run_serves_until_sigterm_then_stops_cleanly_within_10_seconds(
    fake_telegram: FakeTelegram, bot_settings: Settings, tmp_path: Path
):
    process = await start_faqbot_run(bot_settings, tmp_path)
    try:
        # The fake records a long poll when it returns; deleteWebhook comes just before polling.
        await fake_telegram.wait_for(lambda: fake_telegram.calls("deleteWebhook"), timeout=30)
        fake_telegram.private_message("What does Ofsted do?", user_id=RESIDENT)
        [answer] = await fake_telegram.wait_for(count=1, chat_id=RESIDENT)
        assert answer.text.startswith(OFSTED_ANSWER)

        process.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        _, stderr = await asyncio.wait_for(process.communicate(), 10)
        assert time.monotonic() - stopping < 10
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0

    log = stderr.decode()
    lines = [json.loads(line) for line in log.splitlines()]
    [update] = [line for line in lines if line.get("event") == "update"]
    assert update["kind"] == "question"
    assert update["outcome"] == "answer"
    assert {"update_id", "latency_ms"} <= set(update)
    assert "What does Ofsted do?" not in log
    assert bot_settings.telegram_token not in log
    assert [line["event"] for line in lines if "event" in line][-1] == "stopped"


async def test_faqbot_run_says_in_one_line_when_telegram_refuses_the_token(
    fake_telegram: FakeTelegram, bot_settings: Settings, tmp_path: Path
):
    settings = replace(bot_settings, telegram_token="123456:RevokedTokenRevokedToken")
    process = await start_faqbot_run(settings, tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    errors = [line for line in stderr.decode().splitlines() if line.startswith("Error:")]
    assert errors == [
        "Error: Telegram does not accept TELEGRAM_BOT_TOKEN - copy the token again from BotFather"
    ]
    assert "Traceback" not in stderr.decode()
    assert settings.telegram_token not in stderr.decode()


async def test_faqbot_run_refuses_to_start_on_a_broken_faq(
    fake_telegram: FakeTelegram, bot_settings: Settings, tmp_path: Path
):
    (bot_settings.faq_dir / "messages.yaml").unlink()
    process = await start_faqbot_run(bot_settings, tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert stderr.decode().startswith("Error: ")
    assert "messages" in stderr.decode()
    assert fake_telegram.calls("getUpdates") == []
