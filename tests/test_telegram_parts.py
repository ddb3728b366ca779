"""The pieces the Telegram front end is built from, each on its own, without a server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.browsing import UNTAGGED, entries_tagged, page_of, topic_tags
from bot.corpus import Corpus, Entry, FaqError, Messages, SafeguardingRules
from bot.flood import FloodGuard, Verdict
from bot.health import Heartbeat, seconds_since_beat
from bot.reload import FaqWatcher, folder_fingerprint
from bot.retry import RetryingRateLimiter
from bot.updates import latest_updates

# Flood control


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flooding_user_gets_one_notice_then_silence_until_the_minute_passes():
    clock = FakeClock()
    guard = FloodGuard(limit=20, window=60, clock=clock)
    verdicts = []
    for _ in range(25):
        verdicts.append(guard.check(1))
        clock.now += 1
    assert verdicts == [Verdict.ACCEPT] * 20 + [Verdict.SLOW_DOWN] + [Verdict.IGNORE] * 4
    clock.now = 1000.0 + 60.5  # the first message is now more than a minute old
    assert guard.check(1) is Verdict.ACCEPT


def test_one_users_flood_does_not_affect_anyone_else():
    guard = FloodGuard(limit=3, window=60, clock=FakeClock())
    assert [guard.check(1) for _ in range(5)][-1] is Verdict.IGNORE
    assert guard.check(2) is Verdict.ACCEPT


def test_a_user_slowed_down_again_later_gets_a_new_notice():
    clock = FakeClock()
    guard = FloodGuard(limit=2, window=10, clock=clock)
    assert [guard.check(1) for _ in range(3)][-1] is Verdict.SLOW_DOWN
    clock.now += 11
    assert [guard.check(1) for _ in range(3)] == [Verdict.ACCEPT, Verdict.ACCEPT, Verdict.SLOW_DOWN]


def test_quiet_users_are_forgotten():
    clock = FakeClock()
    guard = FloodGuard(limit=2, window=10, clock=clock)
    for user in range(100):
        guard.check(user)
    clock.now += 11
    guard.check(1000)
    assert list(guard._accepted) == [1000]


# Progress updates


def test_no_updates_file_means_nothing_published(tmp_path: Path):
    assert latest_updates(tmp_path) == []


def test_updates_come_newest_first_and_limited(tmp_path: Path):
    (tmp_path / "updates.yaml").write_text(
        """updates:
  - {id: a, date: 2024-12-03, title: Rated good, summary: Ofsted rated us good.}
  - {id: b, date: 2025-06-01, title: New plan, summary: The plan is out., link: "https://x.org"}
  - {id: c, date: 2020-03-16, title: Old, summary: Old news.}
""",
        encoding="utf-8",
    )
    updates = latest_updates(tmp_path, limit=2)
    assert [(u.id, u.date, u.link) for u in updates] == [
        ("b", date(2025, 6, 1), "https://x.org"),
        ("a", date(2024, 12, 3), None),
    ]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("updates: [\n", "YAML cannot read this line"),
        ("news: []\n", 'must start with "updates:"'),
        ("updates:\n  - {id: a, date: 2024-12-03, title: T}\n", 'has no "summary"'),
        ("updates:\n  - {id: a, date: soon, title: T, summary: S}\n", "YYYY-MM-DD"),
    ],
)
def test_a_broken_updates_file_says_where_and_what(tmp_path: Path, text, complaint):
    (tmp_path / "updates.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(FaqError, match=complaint) as raised:
        latest_updates(tmp_path)
    assert str(raised.value).startswith(str(tmp_path / "updates.yaml") + ":")


# Browsing


def corpus_of(*entries: Entry) -> Corpus:
    return Corpus(
        entries=entries,
        synonyms=(),
        safeguarding=SafeguardingRules("Call 999.", ("danger",), ("child",), ("hurt",)),
        smalltalk=(),
        messages=Messages("Ask the council.", "Did you mean:", "Type a question.", "Too long."),
    )


def test_topics_are_the_tags_in_order_with_untagged_entries_under_other():
    corpus = corpus_of(
        Entry("a", "A?", "A.", tags=("ratings", "inspections")),
        Entry("b", "B?", "B.", tags=("inspections",)),
        Entry("c", "C?", "C."),
    )
    assert topic_tags(corpus) == ["inspections", "ratings", UNTAGGED]
    assert [e.id for e in entries_tagged(corpus, "inspections")] == ["a", "b"]
    assert [e.id for e in entries_tagged(corpus, UNTAGGED)] == ["c"]


def test_pages_are_clamped_so_an_old_button_still_shows_something():
    items = list(range(10))
    assert page_of(items, 1, 4).items == (4, 5, 6, 7)
    last = page_of(items, 9, 4)
    assert (last.items, last.number, last.count) == ((8, 9), 2, 3)
    assert last.has_previous and not last.has_next
    assert page_of([], 0, 4).count == 1


# Retrying requests


class Flaky:
    """A request that fails with the given errors first, then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> dict:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


async def send(limiter: RetryingRateLimiter, request: Flaky) -> dict:
    return await limiter.process_request(request, (), {}, "sendMessage", {}, None)


async def test_network_errors_timeouts_and_5xx_are_retried_until_the_request_goes_through():
    request = Flaky(TimedOut(), NetworkError("Bad Gateway (502)"), NetworkError("Internal"))
    assert await send(RetryingRateLimiter(attempts=4, backoff=0.001), request) == {"ok": True}
    assert request.calls == 4


async def test_a_429_waits_retry_after_before_trying_again():
    request = Flaky(RetryAfter(1))
    started = time.monotonic()
    assert await send(RetryingRateLimiter(attempts=2, backoff=0.001), request) == {"ok": True}
    assert time.monotonic() - started >= 1.0


async def test_a_429_holds_back_every_other_request_too():
    limiter = RetryingRateLimiter(attempts=2, backoff=0.001)
    first = asyncio.create_task(send(limiter, Flaky(RetryAfter(1))))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await send(limiter, Flaky())
    assert time.monotonic() - started >= 0.9
    await first


@pytest.mark.parametrize("error", [BadRequest("Chat not found"), Forbidden("Forbidden: blocked")])
async def test_errors_that_would_fail_again_are_not_retried(error):
    request = Flaky(error)
    with pytest.raises(type(error)):
        await send(RetryingRateLimiter(attempts=5, backoff=0.001), request)
    assert request.calls == 1


async def test_retrying_gives_up_after_the_last_attempt():
    request = Flaky(*[TimedOut()] * 5)
    with pytest.raises(TimedOut):
        await send(RetryingRateLimiter(attempts=3, backoff=0.001), request)
    assert request.calls == 3


async def test_stopping_cuts_the_wait_short_with_one_last_try():
    limiter = RetryingRateLimiter(attempts=5, backoff=30)
    request = Flaky(TimedOut())
    task = asyncio.create_task(send(limiter, request))
    await asyncio.sleep(0.05)
    limiter.hurry()
    assert await asyncio.wait_for(task, 1) == {"ok": True}


# Heartbeat


def test_the_health_check_passes_only_while_the_heartbeat_is_fresh(tmp_path: Path):
    heartbeat_file = tmp_path / "data" / "hb"
    environ = {**os.environ, "FAQBOT_HEARTBEAT": str(heartbeat_file)}

    def health() -> int:
        return subprocess.run(
            [sys.executable, "-m", "bot.health"], env=environ, capture_output=True, cwd=tmp_path
        ).returncode

    assert health() == 1
    Heartbeat(heartbeat_file).beat()
    assert seconds_since_beat(heartbeat_file) < 5
    assert health() == 0
    old = time.time() - 600
    os.utime(heartbeat_file, (old, old))
    assert health() == 1


# Hot reload


async def test_the_watcher_loads_each_new_version_once_and_reports_each_broken_one_once(
    tmp_path: Path,
):
    faq = tmp_path / "faq"
    faq.mkdir()
    (faq / "a.yaml").write_text("good: 1\n")
    loaded: list[str] = []
    broken: list[FaqError] = []

    def load(folder: Path) -> str:
        text = (folder / "a.yaml").read_text()
        if "broken" in text:
            raise FaqError([])
        return text

    async def on_broken(error: FaqError) -> None:
        broken.append(error)

    watcher = FaqWatcher(faq, load, loaded.append, on_broken, interval=0.01)
    assert await watcher.check() is False  # nothing changed since it started
    (faq / "a.yaml").write_text("good: 2\n")
    assert await watcher.check() is True
    (faq / "a.yaml").write_text("broken: 3\n")
    assert await watcher.check() is False
    assert await watcher.check() is False
    (faq / "a.yaml").write_text("good: 2\n")
    assert await watcher.check() is True
    assert loaded == ["good: 2\n", "good: 2\n"]
    assert len(broken) == 1


def test_the_fingerprint_follows_content_not_timestamps(tmp_path: Path):
    (tmp_path / "a.yaml").write_text("x: 1\n")
    before = folder_fingerprint(tmp_path)
    os.utime(tmp_path / "a.yaml", (0, 0))
    assert folder_fingerprint(tmp_path) == before
    (tmp_path / "b.yaml").write_text("")
    assert folder_fingerprint(tmp_path) != before
