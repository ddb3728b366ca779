"""`faqbot stats`: what residents asked and how it went, from counts and votes only."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TELEGRAM_FAQ, write_faq

from bot.cli import main
from bot.corpus import Entry
from bot.question_log import QuestionLog
from bot.reply import Choice, Outcome, Reply
from bot.storage import Store

KEY = b"test-key"
NOW = datetime.now(UTC)
OFSTED = Entry("what-is-ofsted", "What is Ofsted?", "Ofsted inspects services.")
ANSWER = Reply(Outcome.ANSWER, OFSTED.answer, entry=OFSTED)
SUGGEST = Reply(Outcome.SUGGEST, "?", choices=(Choice("rating-2024", "Rating?"),))


async def a_week_of_questions(path: Path) -> None:
    async with Store(path, KEY) as store:
        log = QuestionLog(store)
        for user, reply in [
            (1, ANSWER),
            (2, ANSWER),
            (3, SUGGEST),
            (4, SUGGEST),
            (5, Reply(Outcome.UNANSWERED, "Sorry")),
            (6, Reply(Outcome.SAFEGUARDING, "Call 999")),
            (7, Reply(Outcome.SMALLTALK, "Hello")),
        ]:
            log.record(
                user_id=user,
                chat_id=user,
                chat_type="private",
                text="a question",
                reply=reply,
                corpus_version="v1",
            )
        log.choice_pressed(user_id=3, chat_id=3, entry_id="rating-2024")
        log.vote(user_id=1, chat_id=1, message_id=10, entry_id=OFSTED.id, helpful=True)
        log.vote(user_id=2, chat_id=2, message_id=11, entry_id=OFSTED.id, helpful=False)
        old = QuestionLog(store, clock=lambda: NOW - timedelta(days=40))
        old.record(
            user_id=8,
            chat_id=8,
            chat_type="private",
            text="long ago",
            reply=Reply(Outcome.UNANSWERED, "Sorry"),
            corpus_version="v0",
        )
        assert await log.flush() and await old.flush()


async def create_empty(path: Path) -> None:
    async with Store(path, KEY):
        pass


@pytest.fixture
def staff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "FAQBOT_FAQ_DIR", "FAQBOT_DB"):
        monkeypatch.delenv(name, raising=False)
    write_faq(tmp_path / "faq", TELEGRAM_FAQ)

    def run(*arguments: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main(list(arguments))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_stats_count_each_outcome_entries_asked_most_and_never_and_votes(tmp_path, staff):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(a_week_of_questions(database))
    code, out, err = staff("stats", "--db", str(database), "--since", "7")

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "In the last 7 days: 7 questions asked.",
        "  answered outright          2",
        "  offered choices            2   (1 resolved by pressing one)",
        "  unanswered                 1",
        "  safeguarding replies       1",
        "  greetings and thanks       1",
        "",
        "Entries asked most:",
        "        2  what-is-ofsted",
        "        1  rating-2024",
        "",
        "Votes (helpful / not helpful):",
        "     1 / 1    what-is-ofsted",
        "",
        # In the FAQ's own order.
        "Never asked (3): how-the-council-reports-progress-on-its-childrens-services-plans, "
        "camden-partnership, early-help",
    ]


def test_stats_as_json_and_over_a_longer_period(tmp_path, staff):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(a_week_of_questions(database))
    _, out, _ = staff("stats", "--db", str(database), "--since", "60", "--json")
    figures = json.loads(out)
    assert (figures["asked"], figures["unanswered"], figures["safeguarding"]) == (8, 2, 1)
    assert figures["asked_most"][0] == {"entry": "what-is-ofsted", "count": 2}
    assert figures["votes"] == [{"entry": "what-is-ofsted", "helpful": 1, "not_helpful": 1}]


def test_stats_of_an_empty_database_say_so_in_one_line(tmp_path, staff):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(create_empty(database))
    assert staff("stats", "--db", str(database)) == (0, "No questions in the last 30 days.\n", "")


def test_stats_of_a_missing_database_say_so_in_one_line(tmp_path, staff):
    code, out, err = staff("stats", "--db", str(tmp_path / "none.sqlite3"))
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1 and "there is no database" in err
