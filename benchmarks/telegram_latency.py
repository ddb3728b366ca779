"""How fast the Telegram bot answers, end to end, through the fake Bot API over real HTTP.

    .venv/bin/python benchmarks/telegram_latency.py [--faq faq] [--latency 300] [--burst 3000]

The bot runs as a separate process exactly as deployed (`python -m bot.cli run`: the same
Application, handlers, retrying limiter and JSON logging, here into /dev/null), pointed at
tests/fake_telegram.py in this process with no rate limit. The bot is one single-threaded
process, so it uses at most one core; its CPU time is read from /proc to show the cost per
answer. Questions are every FAQ entry's question and alternatives in turn.

- latency: one message at a time, from the moment the fake queues it (the bot is long-polling)
  to the moment the fake has received the bot's sendMessage: median and p99;
- throughput: a burst of messages from many residents at once (so the 20-a-minute flood limit
  never applies), answered per second from the first injected to the last reply.
Target (issue 3): median <= 50 ms, >= 200 answers per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from fake_telegram import FakeTelegram  # noqa: E402

from bot.loader import load_corpus  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(faq: Path, latency_count: int, burst_count: int) -> dict[str, float]:
    corpus = load_corpus(faq)
    questions = [phrasing for entry in corpus.entries for phrasing in entry.phrasings]
    with tempfile.TemporaryDirectory() as scratch:
        async with FakeTelegram() as fake:
            environment = {
                "PATH": os.environ.get("PATH", ""),
                "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
                "TELEGRAM_BOT_TOKEN": fake.token,
                "FAQBOT_TELEGRAM_API_URL": f"{fake.url}/bot",
                "FAQBOT_FAQ_DIR": str(faq.resolve()),
                "FAQBOT_DB": str(Path(scratch) / "bench.sqlite3"),
            }
            bot = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=environment,
                cwd=scratch,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                await fake.wait_for(lambda: fake.calls("deleteWebhook"), timeout=60)
                # Warm up: connections, caches.
                for number in range(20):
                    fake.private_message(questions[number % len(questions)], user_id=1)
                    await fake.wait_for(count=number + 1, timeout=10)

                latencies = []
                for number in range(latency_count):
                    # A new resident every 15 messages keeps everyone under the flood limit.
                    user = 10 + number // 15
                    sent_before = len(fake.sent_messages())
                    started = time.perf_counter()
                    fake.private_message(questions[number % len(questions)], user_id=user)
                    await fake.wait_for(count=sent_before + 1, timeout=10)
                    latencies.append(time.perf_counter() - started)

                answered_before = {message.chat_id for message in fake.sent_messages()}
                cpu_before = cpu_seconds(bot.pid)
                started = time.perf_counter()
                first_user = 100_000
                for number in range(burst_count):
                    fake.private_message(
                        questions[number % len(questions)], user_id=first_user + number
                    )

                answered: set[int | str] = set()
                counted = len(fake.sent_messages())

                def everyone_answered() -> bool:
                    # Incremental: long answers take two messages, so count residents answered.
                    nonlocal counted
                    sent = fake.sent_messages()
                    answered.update(message.chat_id for message in sent[counted:])
                    counted = len(sent)
                    return len(answered - answered_before) >= burst_count

                await fake.wait_for(everyone_answered, timeout=300)
                elapsed = time.perf_counter() - started
                burst_cpu = cpu_seconds(bot.pid) - cpu_before
            finally:
                bot.terminate()
                await bot.wait()
    return {
        "questions": len(questions),
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "burst": burst_count,
        "burst_seconds": elapsed,
        "answers_per_second": burst_count / elapsed,
        "bot_cpu_ms_per_answer": burst_cpu / burst_count * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faq", type=Path, default=REPO / "faq")
    parser.add_argument("--latency", type=int, default=300, help="messages sent one at a time")
    parser.add_argument("--burst", type=int, default=3000, help="messages sent all at once")
    arguments = parser.parse_args()

    figures = asyncio.run(measure(arguments.faq, arguments.latency, arguments.burst))
    print(f"FAQ: {arguments.faq} ({figures['questions']} questions and alternatives)")
    print(
        f"latency over {arguments.latency} messages one at a time: "
        f"median {figures['median_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
    )
    print(
        f"throughput: {figures['burst']} messages answered in {figures['burst_seconds']:.2f} s = "
        f"{figures['answers_per_second']:.0f} answers per second; the bot used "
        f"{figures['bot_cpu_ms_per_answer']:.2f} ms of CPU per answer "
        f"(= {1000 / figures['bot_cpu_ms_per_answer']:.0f} answers per CPU-second)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
