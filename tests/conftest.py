"""Shared fixtures."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fake_telegram import FakeTelegram

from bot.answering import Responder
from bot.index_cache import IndexCache
from bot.outbox import UNSUBSCRIBE_HINT
from bot.settings import Settings
from bot.telegram_app import FaqBotApplication, build_application, running


@pytest.fixture(scope="session")
def index_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faqbot-index")


@pytest.fixture(autouse=True, scope="session")
def index_cache_for_the_session(index_cache_folder: Path) -> Iterator[None]:
    """`faqbot` commands keep the trained index in one folder of the test run's own.

    Not beside the default database in the working folder; and the commands that index the
    same FAQ read it back instead of training again (tests/test_index_cache.py shows the
    scores are the same).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAQBOT_INDEX_CACHE", str(index_cache_folder))
        yield


@pytest.fixture(scope="session")
def index_cache(index_cache_folder: Path) -> IndexCache:
    """The same folder, for tests that build the shipped FAQ's responder themselves: training
    on its thousands of wordings takes seconds, reading it back well under one."""
    return IndexCache(index_cache_folder)


# ---------------------------------------------------------------------------------------------
# The Telegram bot, run against the fake Bot API of tests/fake_telegram.py

ADMIN_ID = 9001
HASH_KEY = "test-hash-key"
LONG_ENTRY_ID = "how-the-council-reports-progress-on-its-childrens-services-plans"
# Three paragraphs: an answer just under Telegram's 4,096 characters, which its source link
# pushes over the limit, so it must go in two messages.
LONG_PARAGRAPH = (
    "The council reports on its progress to the improvement board every month. "
    "Each report says what changed, what did not, and why; the board challenges it. " * 9
)[:1358].rstrip() + "."

TELEGRAM_FAQ = {
    "ofsted.yaml": """\
faqs:
  - id: what-is-ofsted
    question: What is Ofsted?
    alternatives: [who are ofsted, what does ofsted do]
    answer: Ofsted inspects services for children & young people <in England>.
    tags: [ofsted]
    links:
      - title: Ofsted & "you"
        url: https://www.gov.uk/ofsted?a=1&b=2
  - id: rating-2024
    question: What is the current Ofsted rating of Croydon's children's services?
    alternatives: [latest ofsted grade, current rating]
    answer: Good, since December 2024.
    tags: [ratings, ofsted]
  - id: camden-partnership
    question: What is the partnership with Camden?
    answer: Camden gave Croydon peer support from 2018.
  - id: early-help
    question: What is early help?
    answer: Support for families before problems grow.
    tags: [early-help, families, support, social-work, leadership, money, staff, care]
""",
    "improvement.yaml": "faqs:\n"
    f"  - id: {LONG_ENTRY_ID}\n"
    "    question: How does the council report progress on its improvement plan?\n"
    "    alternatives: [improvement plan progress reports]\n"
    "    tags: [improvement]\n"
    "    answer: |\n"
    + "".join(f"      {LONG_PARAGRAPH.strip()}\n\n" for _ in range(3))
    + "    links:\n"
    "      - title: Improvement board papers\n"
    "        url: https://democracy.croydon.gov.uk/board\n",
    "safeguarding.yaml": """\
safeguarding:
  reply: |
    If a child is in immediate danger, call the police on 999.
    To report a concern, call the Single Point of Contact on 020 8255 2888.
  phrases: [report a concern]
  child_words: [child, kid]
  harm_words: [abuse, hurt]
""",
    "messages.yaml": """\
messages:
  fallback: Sorry, I can't answer that. Please contact the council.
  suggest_intro: "I'm not sure which of these you mean:"
  empty: Please type a question.
  too_long: That message is very long.
""",
}


async def subscribe(fake: FakeTelegram, user_ids: Iterable[int]) -> None:
    """Each user sends /subscribe; returns once the bot has confirmed to every one."""
    user_ids = list(user_ids)
    for user_id in user_ids:
        fake.command("subscribe", user_id=user_id)
    for user_id in user_ids:
        await fake.wait_for(count=1, chat_id=user_id)


async def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll state outside the fake (the loaded FAQ, a feed's requests) until it holds."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"still not true after {timeout} s"
        await asyncio.sleep(0.02)
    return result


def alerts_by_chat(fake: FakeTelegram) -> Counter[int]:
    """How many progress alerts (messages ending with the unsubscribe hint) each chat got."""
    return Counter(
        sent.chat_id for sent in fake.sent_messages() if sent.text.endswith(UNSUBSCRIBE_HINT)
    )


def write_faq(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def telegram_faq_dir(tmp_path: Path) -> Path:
    return write_faq(tmp_path / "faq", TELEGRAM_FAQ)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_private_chat(ADMIN_ID, first_name="Staff")
        yield fake


@pytest.fixture
def bot_settings(tmp_path: Path, fake_telegram: FakeTelegram, telegram_faq_dir: Path) -> Settings:
    """Settings for a bot talking to the fake, with timings short enough for tests."""
    return Settings(
        telegram_token=fake_telegram.token,
        telegram_api_url=f"{fake_telegram.url}/bot",
        faq_dir=telegram_faq_dir,
        database_path=tmp_path / "data" / "faqbot.sqlite3",
        admins=frozenset({ADMIN_ID}),
        hash_key=HASH_KEY,
        reload_interval=0.05,
        poll_timeout=5.0,
        retry_attempts=4,
        retry_backoff=0.01,
        request_timeout=2.0,
        # No weekly digest unless a test asks for one: it would message the admin at start-up.
        digest_weekday=None,
    )


@pytest.fixture
def start_bot(
    bot_settings: Settings,
) -> Callable[..., Any]:
    """`async with start_bot(**setting_changes) as app:` runs the bot as `faqbot run` would."""

    @asynccontextmanager
    async def start(
        responder: Responder | None = None, **changes: Any
    ) -> AsyncIterator[FaqBotApplication]:
        settings = replace(bot_settings, **changes)
        responder = responder or Responder.from_directory(settings.faq_dir)
        application = build_application(settings, responder)
        async with running(application, settings):
            yield application

    return start


# ---------------------------------------------------------------------------------------------
# A news feed served over real HTTP, for bot.feed


@dataclass
class FeedServer:
    """Serves one feed at `url`; tests change what it answers between reads."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    url: str = ""
    requests: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        return web.Response(
            body=self.body,
            status=self.status,
            content_type=None,
            headers={"Content-Type": self.content_type},
        )


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """A feed at `feed_server.url` on 127.0.0.1; set `.body` and `.status` to change it."""
    server = FeedServer()
    app = web.Application()
    app.router.add_get("/news/feed", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.url = f"http://127.0.0.1:{port}/news/feed"
    yield server
    await runner.cleanup()
