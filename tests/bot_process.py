"""The real `faqbot run` as a subprocess against a fake Bot API, for crash tests and benchmarks.

tests/test_broadcast_crash.py and benchmarks/broadcast_benchmark.py stop it part-way through a
broadcast (SIGKILL or SIGTERM) and start it again on the same database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from fake_telegram import FakeTelegram

REPO = Path(__file__).resolve().parent.parent


class BotProcess:
    """`python -m bot.cli run` with its FAQ, database and logs in `folder`, one log per start."""

    def __init__(
        self,
        fake: FakeTelegram,
        folder: Path,
        *,
        hash_key: str,
        send_rate: str,
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ):
        self.fake = fake
        self.folder = folder
        self.hash_key = hash_key
        self.send_rate = send_rate  # FAQBOT_SEND_RATE: "overall,per chat" messages a second
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def environment(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(REPO),
            "TELEGRAM_BOT_TOKEN": self.fake.token,
            "FAQBOT_TELEGRAM_API_URL": f"{self.fake.url}/bot",
            "FAQBOT_FAQ_DIR": str(self.folder / "faq"),
            "FAQBOT_DB": str(self.folder / "faqbot.sqlite3"),
            "FAQBOT_HASH_KEY": self.hash_key,
            "FAQBOT_SEND_RATE": self.send_rate,
            "FAQBOT_DIGEST_DAY": "off",
        }

    async def start(self) -> None:
        """Start the bot; returns once it polls Telegram, its broadcaster already running."""
        self.starts += 1
        polls_before = len(self.fake.calls("deleteWebhook"))
        with open(self.folder / f"bot-{self.starts}.log", "wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=self.environment,
                cwd=self.folder,
                stdout=log,
                stderr=log,
            )
        # deleteWebhook comes after post_init, which starts the broadcaster.
        await self.fake.wait_for(
            lambda: len(self.fake.calls("deleteWebhook")) > polls_before,
            timeout=self.start_timeout,
        )

    async def stop(self, stop_signal: signal.Signals = signal.SIGTERM) -> int:
        """Send `stop_signal` and wait for the exit code."""
        assert self.process is not None
        self.process.send_signal(stop_signal)
        async with asyncio.timeout(self.stop_timeout):
            code = await self.process.wait()
        self.process = None
        return code

    async def kill_if_running(self) -> None:
        if self.process is not None:
            self.process.kill()
            await self.process.wait()
            self.process = None

    def log(self) -> str:
        """The end of each start's log, to show why a test failed."""
        return "\n".join(
            path.read_text(errors="replace")[-3000:]
            for path in sorted(self.folder.glob("bot-*.log"))
        )
