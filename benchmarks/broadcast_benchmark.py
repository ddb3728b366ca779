"""How fast, how completely and how politely the bot broadcasts an alert, and whether it stays
responsive meanwhile, through the fake Bot API enforcing Telegram's limits with 429s.

    .venv/bin/python benchmarks/broadcast_benchmark.py [--subscribers 10000] [--scale 1]
        [--questions 8] [--no-kill]

The bot runs as deployed (`python -m bot.cli run`, FAQBOT_SEND_RATE set to the limits) against
tests/fake_telegram.py in this process, which allows at most 30 messages in any one-second
window in all and 1 in any one-second window to each chat, and answers anything more with a
real 429. `--scale K` multiplies both limits (and the bot's FAQBOT_SEND_RATE) by K for a quick
run; the rate is then reported as a ratio of the allowed rate too. Two runs, each on a fresh
database with every subscriber already subscribed:

- clean: publish one update (`faqbot publish`, in this process); while it goes out, residents
  who are not subscribers ask questions one at a time, evenly spread over the broadcast, each
  timed from the moment the fake queues it to the moment the fake accepts the bot's reply;
- kill: publish, SIGKILL the bot once half the subscribers have their alert, start it again on
  the same database and let it finish.

Reported: the sustained alert rate at the fake (alerts after the first, over the time from the
first to the last), 429s given, the most messages the fake accepted in any one second,
subscribers missed, duplicate alerts, and reply times.
Targets (issue 5): rate >= 95% of the limit, 0 429s, 0 missed, 0 duplicates (at most the
bot's alert concurrency after a kill), every reply within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import signal
import statistics
import sys
import tempfile
import time
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bot_process import BotProcess  # noqa: E402
from fake_telegram import FakeTelegram, RateLimit  # noqa: E402

from bot.cli import publish  # noqa: E402
from bot.loader import load_corpus  # noqa: E402
from bot.outbox import UNSUBSCRIBE_HINT, Outbox, PublicationStatus  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage import Store  # noqa: E402

UPDATE_ID = "benchmark-broadcast"
UPDATE_YAML = f"""
  - id: {UPDATE_ID}
    date: 2025-06-01
    title: The council publishes its new improvement plan
    summary: |
      The council has published its plan for the next two years of improving children's
      services. It sets out how social work teams will be staffed, how the council will check
      the quality of its work with families, and how residents can follow its progress.
    link: https://www.croydon.gov.uk/children-young-people-and-families
"""
HASH_KEY = "benchmark-hash-key"
FIRST_SUBSCRIBER = 5_000_000
FIRST_RESIDENT = 100  # residents asking questions during the broadcast are not subscribers


class TimedFake(FakeTelegram):
    """The fake, noting when it accepted each alert, and each message of any kind."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.alert_times: list[float] = []
        self.message_times: list[float] = []
        self.alerts: Counter[int | str] = Counter()

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        message = await super()._api_sendMessage(params)
        self.message_times.append(time.monotonic())
        if message["text"].endswith(UNSUBSCRIBE_HINT):
            self.alert_times.append(time.monotonic())
            self.alerts[message["chat"]["id"]] += 1
        return message

    def busiest_second(self) -> int:
        """The most messages the fake accepted in any one-second window (at most the limit)."""
        times = sorted(self.message_times)
        return max(
            (index + 1 - bisect_right(times, at - 1.0) for index, at in enumerate(times)),
            default=0,
        )


@dataclass
class Run:
    subscribers: int
    allowed_rate: float
    alert_times: list[float] = field(default_factory=list)
    alerts: Counter[int | str] = field(default_factory=Counter)
    too_many_requests: int = 0
    busiest_second: int = 0  # messages the fake accepted in its busiest one-second window
    too_many_for_replies: int = 0  # of those, 429s answering a reply rather than an alert
    reply_seconds: list[float] = field(default_factory=list)
    sent_before_kill: int | None = None
    restart_seconds: float | None = None
    recorded_delivered: int = 0

    @property
    def rate(self) -> float:
        times = self.alert_times
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0

    @property
    def missed(self) -> int:
        wanted = range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + self.subscribers)
        return sum(1 for chat_id in wanted if not self.alerts[chat_id])

    @property
    def duplicates(self) -> int:
        return sum(self.alerts.values()) - len(self.alerts)


async def prepare(folder: Path, faq: Path, subscribers: int) -> None:
    shutil.copytree(faq, folder / "faq")
    with open(folder / "faq" / "updates.yaml", "a", encoding="utf-8") as updates:
        updates.write(UPDATE_YAML)
    async with Store(folder / "faqbot.sqlite3", HASH_KEY.encode()) as store:
        for chat_id in range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + subscribers):
            await store.subscribe(chat_id, chat_id)


async def faqbot_publish(folder: Path) -> None:
    settings = Settings(
        telegram_token="", faq_dir=folder / "faq", database_path=folder / "faqbot.sqlite3"
    )
    out = io.StringIO()
    if await asyncio.to_thread(publish, settings, UPDATE_ID, False, False, out) != 0:
        raise RuntimeError(f"faqbot publish failed: {out.getvalue()}")


async def publication(folder: Path) -> PublicationStatus:
    async with Store(folder / "faqbot.sqlite3", HASH_KEY.encode()) as store:
        [status] = await Outbox(store).statuses(UPDATE_ID)
    return status


async def ask_during_broadcast(
    fake: TimedFake, questions: list[str], count: int, expected_seconds: float, subscribers: int
) -> list[float]:
    """Residents ask `count` questions one at a time, spread over the broadcast; reply times."""
    spacing = expected_seconds / (count + 1)
    seconds = []
    for number in range(count):
        await asyncio.sleep(spacing)
        if len(fake.alert_times) >= subscribers:
            break  # the broadcast is over: a reply now would not measure anything
        resident = FIRST_RESIDENT + number
        started = time.monotonic()
        fake.private_message(questions[number % len(questions)], user_id=resident)
        await fake.wait_for(count=1, chat_id=resident, timeout=30)
        seconds.append(time.monotonic() - started)
    return seconds


async def broadcast(faq: Path, subscribers: int, scale: float, questions: int, kill: bool) -> Run:
    corpus = load_corpus(faq)
    phrasings = [phrasing for entry in corpus.entries for phrasing in entry.phrasings]
    limits = {
        "overall_limit": RateLimit(round(30 * scale)),
        "per_chat_limit": RateLimit(round(1 * scale)),
    }
    run = Run(subscribers, 30 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        await prepare(folder, faq, subscribers)
        async with TimedFake(auto_create_chats=True, **limits) as fake:
            bot = BotProcess(
                fake,
                folder,
                hash_key=HASH_KEY,
                send_rate=f"{30 * scale:g},{1 * scale:g}",
                start_timeout=60,
                stop_timeout=60,
            )
            await bot.start()
            try:
                await faqbot_publish(folder)
                expected = subscribers / run.allowed_rate
                if kill:
                    await fake.wait_for(
                        lambda: len(fake.alert_times) >= subscribers // 2, timeout=expected
                    )
                    await bot.stop(signal.SIGKILL)
                    run.sent_before_kill = len(fake.alert_times)
                    restarted = time.monotonic()
                    await bot.start()
                    run.restart_seconds = time.monotonic() - restarted
                else:
                    run.reply_seconds = await ask_during_broadcast(
                        fake, phrasings, questions, expected, subscribers
                    )
                await fake.wait_for(
                    lambda: len(fake.alerts) >= subscribers, timeout=expected * 2 + 60
                )
                # Alerts in flight at a kill may go again after everyone has one: wait until
                # the outbox has nothing left to send.
                while (await publication(folder)).remaining:
                    await asyncio.sleep(0.2)
            finally:
                if bot.process is not None:
                    await bot.stop()
            run.recorded_delivered = (await publication(folder)).delivered
            run.alert_times = fake.alert_times
            run.alerts = fake.alerts
            run.too_many_requests = fake.too_many_requests_count
            run.busiest_second = fake.busiest_second()
            run.too_many_for_replies = sum(
                1
                for request in fake.calls("sendMessage")
                if request.status == 429
                and not str(request.params.get("text", "")).endswith(UNSUBSCRIBE_HINT)
            )
    return run


def report(name: str, run: Run) -> list[str]:
    span = run.alert_times[-1] - run.alert_times[0]
    allowed = run.allowed_rate
    lines = [
        f"{name}: {run.subscribers} subscribers, limits {allowed:g}/s overall and "
        f"{allowed / 30:g}/s per chat",
        f"  alerts: {len(run.alert_times)} in {span:.1f} s; sustained {run.rate:.2f}/s = "
        f"{run.rate / allowed:.1%} of the allowed {allowed:g}/s",
        f"  429s received {run.too_many_requests} ({run.too_many_for_replies} of them to "
        f"replies); missed {run.missed}; duplicates {run.duplicates}; recorded as delivered "
        f"{run.recorded_delivered}",
        f"  busiest second at the fake: {run.busiest_second} messages (limit {allowed:g})",
    ]
    if run.reply_seconds:
        messages = (len(run.alert_times) - 1 + len(run.reply_seconds)) / span
        lines += [
            f"  with the replies, {messages:.2f} messages/s = {messages / allowed:.1%} of the "
            "limit",
            f"  replies during the broadcast: {len(run.reply_seconds)}, median "
            f"{statistics.median(run.reply_seconds) * 1000:.0f} ms, max "
            f"{max(run.reply_seconds) * 1000:.0f} ms",
        ]
    if run.sent_before_kill is not None:
        after = run.alert_times[run.sent_before_kill :]
        resumed = (len(after) - 1) / (after[-1] - after[0]) if len(after) > 1 else 0.0
        lines += [
            f"  SIGKILL after {run.sent_before_kill} alerts; the bot was polling again "
            f"{run.restart_seconds:.1f} s after the restart began (the rate above includes "
            "the kill and restart)",
            f"  after the restart: {len(after)} alerts at {resumed:.2f}/s = "
            f"{resumed / allowed:.1%} of the limit",
        ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=REPO / "faq")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply Telegram's limits by this"
    )
    parser.add_argument("--questions", type=int, default=8, help="asked during the broadcast")
    parser.add_argument("--no-kill", action="store_true", help="skip the SIGKILL run")
    arguments = parser.parse_args()

    clean = asyncio.run(
        broadcast(arguments.faq, arguments.subscribers, arguments.scale, arguments.questions, False)
    )
    print("\n".join(report("clean run", clean)), flush=True)
    if not arguments.no_kill:
        killed = asyncio.run(
            broadcast(arguments.faq, arguments.subscribers, arguments.scale, 0, True)
        )
        print("\n".join(report("SIGKILL at halfway and restart", killed)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
