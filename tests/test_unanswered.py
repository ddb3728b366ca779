"""`faqbot unanswered`: the logged questions grouped for staff, re-tested, exported and purged."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TELEGRAM_FAQ, write_faq

from bot.answering import Responder
from bot.cli import main
from bot.question_log import QuestionLog
from bot.reply import Candidate, Outcome, Reply
from bot.storage import LoggedQuestion, LoggedWording, LogQuestion, Store
from bot.unanswered import answers_and_suggestions, cluster_questions, retest

KEY = b"test-key"
NOW = datetime.now(UTC).replace(microsecond=0)


def logged(text: str, user: str = "u1", days_ago: float = 0, top: str = "early-help"):
    return LoggedQuestion(
        asked_at=NOW - timedelta(days=days_ago),
        outcome="unanswered",
        question=text,
        candidates=((top, 30.0),),
        chat_type="private",
        corpus_version="v0",
        user_hash=user,
    )


async def log_questions(path: Path, questions: list[tuple[str, int, float]]) -> None:
    """Log (text, user id, days ago) through the bot's own question log."""
    async with Store(path, KEY) as store:
        for text, user, days_ago in questions:
            log = QuestionLog(store, clock=lambda days_ago=days_ago: NOW - timedelta(days_ago))
            reply = Reply(Outcome.UNANSWERED, "Sorry", candidates=(Candidate("early-help", 31),))
            log.record(
                user_id=user,
                chat_id=user,
                chat_type="private",
                text=text,
                reply=reply,
                corpus_version="v0",
            )
            assert await log.flush()


def wordings_of(questions: list[LoggedQuestion]) -> list[LoggedWording]:
    """The questions grouped as Store.logged_wordings groups them, in the order first asked."""
    counts: dict[tuple[str, str, str], int] = {}
    for q in questions:
        key = (q.question, q.outcome, q.corpus_version)
        counts[key] = counts.get(key, 0) + 1
    return [LoggedWording(*key, count) for key, count in counts.items()]


async def read_questions(path: Path) -> list[LoggedQuestion]:
    async with Store(path, KEY) as store:
        return await store.logged_questions(NOW - timedelta(days=365))


@pytest.fixture
def staff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `faqbot ...` from an empty folder; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "FAQBOT_FAQ_DIR", "FAQBOT_DB", "FAQBOT_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)

    def run(*arguments: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main(list(arguments))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# Grouping


def test_similar_questions_are_grouped_largest_first_with_typos_and_word_order():
    questions = [
        logged("When are the bins collected?", "a"),
        logged("when are the bins colected", "b"),
        logged("When are the bins collected?", "a", days_ago=3),
        logged("bins collected when are the", "c"),
        logged("How do I adopt a child?", "d", top="what-is-ofsted"),
        logged("How do I foster a child?", "e"),
    ]
    clusters = cluster_questions(questions)

    assert [(c.representative, c.count, c.users) for c in clusters] == [
        ("When are the bins collected?", 4, 3),
        ("How do I adopt a child?", 1, 1),
        ("How do I foster a child?", 1, 1),
    ]
    bins = clusters[0]
    assert bins.first_seen == NOW - timedelta(days=3)
    assert bins.last_seen == NOW
    assert (bins.nearest.entry_id, bins.nearest.score) == ("early-help", 30.0)


def test_a_question_that_is_a_few_words_of_a_longer_one_is_not_swallowed_by_it():
    clusters = cluster_questions([logged("bins"), logged("when are the bins collected")])
    assert len(clusters) == 2


def test_questions_that_were_only_personal_data_form_one_group_of_their_own():
    clusters = cluster_questions([logged("[phone]"), logged("[email]"), logged("council tax")])
    assert sorted(c.count for c in clusters) == [1, 2]


def test_retest_says_which_logged_questions_an_edited_faq_now_answers(tmp_path: Path):
    faq = write_faq(tmp_path / "faq", TELEGRAM_FAQ)
    questions = [
        logged("What is the partnership with Camden?", "a"),
        logged("what is the partnership with camden", "b"),
        logged("When are the bins collected?", "c"),
    ]
    result = retest(wordings_of(questions), Responder.from_directory(faq))

    assert [(g.entry_id, g.count) for g in result.now_answered] == [("camden-partnership", 2)]
    assert (result.checked, result.answered, result.still_unanswered) == (3, 2, 1)


def test_retest_keeps_the_outcome_of_questions_logged_against_the_same_faq(tmp_path: Path):
    responder = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    same_faq = replace(logged("What is the partnership with Camden?"), outcome="suggest")
    same_faq = replace(same_faq, corpus_version=responder.corpus.version)
    result = retest(wordings_of([same_faq, same_faq]), responder)
    assert (result.checked, result.answered, result.now_suggested) == (2, 0, 2)


def test_retest_counts_a_suggestion_and_passes_over_questions_far_from_every_entry(
    tmp_path: Path,
):
    responder = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    questions = [
        logged("What is the partnership with Camden?", "a"),
        logged("ofsted report croydon", "b"),  # two entries close: choices
        logged("When are the bins collected on my road?", "c"),
        logged("how do i renew my parking permit for the car", "d"),
    ]
    expected = [responder.respond("staff", q.question).outcome for q in questions]
    assert expected[:3] == [Outcome.ANSWER, Outcome.SUGGEST, Outcome.UNANSWERED]

    result = retest(wordings_of(questions), responder)
    assert (result.answered, result.now_suggested, result.still_unanswered) == (1, 1, 2)


def test_a_retest_on_two_cores_gives_each_question_the_reply_it_gets_on_one(tmp_path: Path):
    responder = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    texts = [
        f"{opening} {question}"
        for opening in ("", "hi,", "quick one:", "pls tell me")
        for question in (
            "What is the partnership with Camden?",
            "croydon ofsted",
            "When are the bins collected on my road?",
            "how much money went into childrens services",
            "wots ofsted",
            "is croydon still inadequate",
        )
    ]

    one = answers_and_suggestions(responder, texts, workers=1)
    two = answers_and_suggestions(responder, texts, workers=2, parallel_from=0)

    assert two == one
    assert any(r is not None for r in one) and any(r is None for r in one)


def test_retest_counts_every_time_a_wording_was_asked(tmp_path: Path):
    responder = Responder.from_directory(write_faq(tmp_path / "faq", TELEGRAM_FAQ))
    wordings = [
        LoggedWording("what is the partnership with camden", "unanswered", "old", 3),
        LoggedWording("What is the partnership with Camden?", "suggest", "old", 2),
        LoggedWording("When are the bins collected?", "unanswered", "old", 4),
    ]
    result = retest(wordings, responder)

    assert (result.checked, result.answered, result.still_unanswered) == (9, 5, 4)
    [group] = result.now_answered
    assert group.most_asked() == [
        ("what is the partnership with camden", 3),
        ("What is the partnership with Camden?", 2),
    ]


# Reading the log


async def write_and_read(path: Path, questions: list[LoggedQuestion]) -> list[LoggedQuestion]:
    async with Store(path, KEY) as store:
        await store.write([LogQuestion(question) for question in questions])
        return await store.logged_questions(NOW - timedelta(days=365))


def test_thousands_of_logged_questions_are_read_back_each_with_its_own_candidates(
    tmp_path: Path,
):
    kinds = [(), (("early-help", 31.5),), (("é-entry", 100), ("b", 0.25), ("c", 1e-05))]
    written = [
        replace(logged(f"question {n}", f"u{n}"), candidates=kinds[n % 3]) for n in range(3_000)
    ]
    read = asyncio.run(write_and_read(tmp_path / "bot.sqlite3", written))

    assert [(q.question, q.candidates) for q in read] == [
        (q.question, q.candidates) for q in written
    ]
    assert type(read[2].candidates[0][1]) is int and type(read[1].candidates[0][1]) is float


def test_the_log_read_by_wording_counts_each_wording_as_the_questions_do(tmp_path: Path):
    database = tmp_path / "bot.sqlite3"
    questions = [
        logged("first", "u1"),
        logged("second", "u2"),
        logged("first", "u3"),
        replace(logged("first", "u4"), outcome="suggest"),
        replace(logged("second", "u5"), corpus_version="new"),
        logged("second", "u6"),
        replace(logged("long ago", "u7"), asked_at=NOW - timedelta(days=400)),
    ]
    asyncio.run(write_and_read(database, questions))

    async def read_wordings() -> list[LoggedWording]:
        async with Store(database, KEY) as store:
            return await store.logged_wordings(NOW - timedelta(days=365))

    found = asyncio.run(read_wordings())
    assert found == wordings_of(questions[:-1])
    assert [(w.question, w.count) for w in found] == [
        ("first", 2),
        ("second", 2),
        ("first", 1),
        ("second", 1),
    ]


def test_a_damaged_row_of_the_log_stops_the_reading_as_it_always_did(tmp_path: Path):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(write_and_read(database, [logged("first"), logged("second")]))
    with sqlite3.connect(database) as db:
        db.execute("""UPDATE asked SET candidates = '[["early-help", 30.0]' WHERE id = 1""")
        db.execute("""UPDATE asked SET candidates = '["early-help", 30.0]]' WHERE id = 2""")
    with pytest.raises(json.JSONDecodeError):
        asyncio.run(read_questions(database))


# The command


def test_the_command_prints_the_groups_for_the_period(tmp_path: Path, staff):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(
        log_questions(
            database,
            [
                ("When are the bins collected? call 07700 900123", 1, 1),
                ("when are the bins collected", 2, 2),
                ("when are the bins collected", 5, 3),
                ("How do I get a parking permit?", 3, 1),
                ("a question from long ago", 4, 45),
            ],
        )
    )
    code, out, err = staff("unanswered", "--db", str(database))

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "Unanswered questions in the last 30 days: 4 questions in 2 groups, largest first."
    )
    assert lines[2] == '1. "when are the bins collected"'
    assert lines[3].startswith("   3 times by 3 people, ")
    assert lines[3].endswith("; nearest entry early-help (31)")
    assert "07700" not in out
    assert "long ago" not in out

    code, out, _ = staff("unanswered", "--db", str(database), "--since", "60")
    assert "5 questions in 3 groups" in out


def test_json_and_csv_give_the_same_groups_for_machines_and_spreadsheets(tmp_path: Path, staff):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(
        log_questions(
            database, [("when are bins collected", 1, 1), ("when are bins colected", 2, 0)]
        )
    )
    code, out, _ = staff("unanswered", "--db", str(database), "--json")
    [group] = json.loads(out)
    assert group["count"] == 2 and group["users"] == 2
    assert group["nearest_entry"] == "early-help"

    sheet = tmp_path / "questions.csv"
    code, out, _ = staff("unanswered", "--db", str(database), "--csv", str(sheet))
    assert out == f"Wrote 2 questions in 1 group to {sheet}.\n"
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert [row["question"] for row in rows] == [
        "when are bins collected",
        "when are bins colected",
    ]
    assert {row["group"] for row in rows} == {"1"}


def test_retest_from_the_command_line_names_the_entry_that_now_answers(tmp_path: Path, staff):
    database = tmp_path / "bot.sqlite3"
    faq = write_faq(tmp_path / "faq", TELEGRAM_FAQ)
    asyncio.run(log_questions(database, [("What is the partnership with Camden?", 1, 1)]))
    code, out, _ = staff("unanswered", "--db", str(database), "--retest", str(faq))
    assert code == 0
    assert out.splitlines()[0] == (
        f"Re-tested 1 logged question against {faq}: 1 would now be answered, "
        "0 would get choices, 0 still unanswered."
    )
    assert "camden-partnership (1 question)" in out


def test_purge_deletes_what_is_past_the_retention_period(
    tmp_path: Path, staff, monkeypatch: pytest.MonkeyPatch
):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(log_questions(database, [("old", 1, 40), ("new", 2, 1)]))
    monkeypatch.setenv("FAQBOT_RETENTION_DAYS", "30")
    code, out, _ = staff("unanswered", "purge", "--db", str(database))
    assert (code, out) == (0, "Deleted 1 row older than 30 days.\n")
    remaining = asyncio.run(read_questions(database))
    assert [q.question for q in remaining] == ["new"]


def test_an_empty_database_says_so_in_one_line(tmp_path: Path, staff):
    database = tmp_path / "bot.sqlite3"
    asyncio.run(log_questions(database, []))
    assert staff("unanswered", "--db", str(database)) == (
        0,
        "No unanswered questions in the last 30 days.\n",
        "",
    )


def test_a_missing_database_says_so_in_one_line(tmp_path: Path, staff):
    code, out, err = staff("unanswered", "--db", str(tmp_path / "nothing.sqlite3"))
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"Error: there is no database at {tmp_path / 'nothing.sqlite3'}")


def test_the_database_comes_from_faqbot_db_unless_given(tmp_path, staff, monkeypatch):
    monkeypatch.setenv("FAQBOT_DB", str(tmp_path / "from-env.sqlite3"))
    _, _, err = staff("unanswered")
    assert "from-env.sqlite3" in err


def test_a_file_that_is_not_a_database_says_so_in_one_line(tmp_path: Path, staff):
    not_a_database = tmp_path / "notes.sqlite3"
    not_a_database.write_text("hello, this is not SQLite " * 100, encoding="utf-8")
    code, _, err = staff("unanswered", "--db", str(not_a_database))
    assert code == 1
    assert len(err.splitlines()) == 1 and err.startswith("Error: cannot read the database")


@pytest.mark.parametrize(
    "arguments",
    [["unanswered", "--bogus"], ["unanswered", "--since", "soon"], ["unanswered", "clean"]],
)
def test_unknown_options_say_so_in_one_line(staff, arguments: list[str]):
    with pytest.raises(SystemExit) as exit_info:
        staff(*arguments)
    assert exit_info.value.code == 2
