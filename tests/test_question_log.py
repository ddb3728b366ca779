"""The question log on real SQLite files: what reaches the disk, and what a faulty disk costs."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.corpus import Entry
from bot.question_log import QuestionLog
from bot.reply import Candidate, Choice, Outcome, Reply
from bot.storage import Store

KEY = b"test-key"
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
RESIDENT, OTHER = 1001, 1002
PERSONAL = "My name is Dawn Brown, call 07700 900123 or dawn.brown@example.com, CR0 2RH"
OFSTED = Entry("what-is-ofsted", "What is Ofsted?", "Ofsted inspects services.")


def unanswered(*scores: tuple[str, float]) -> Reply:
    return Reply(Outcome.UNANSWERED, "Sorry", candidates=tuple(Candidate(*s) for s in scores))


def suggestion(*entry_ids: str) -> Reply:
    return Reply(
        Outcome.SUGGEST,
        "Did you mean",
        choices=tuple(Choice(entry_id, entry_id) for entry_id in entry_ids),
        candidates=tuple(Candidate(entry_id, 50.0) for entry_id in entry_ids),
    )


ANSWER = Reply(Outcome.ANSWER, OFSTED.answer, entry=OFSTED, candidates=(Candidate(OFSTED.id, 90),))


@pytest.fixture
async def store(tmp_path: Path):
    async with Store(tmp_path / "bot.sqlite3", KEY, busy_timeout=0.1) as store:
        yield store


@pytest.fixture
def log(store: Store) -> QuestionLog:
    return QuestionLog(store, retry_interval=0.01, clock=lambda: NOW)


def ask(log: QuestionLog, text: str, reply: Reply, user: int = RESIDENT) -> None:
    log.record(
        user_id=user, chat_id=user, chat_type="private", text=text, reply=reply, corpus_version="v1"
    )


def database_bytes(path: Path) -> bytes:
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(file.read_bytes() for file in files if file.exists())


async def test_an_unanswered_question_is_stored_redacted_with_its_candidates_and_context(
    store: Store, log: QuestionLog
):
    ask(log, PERSONAL + " - when are the bins collected?", unanswered(("what-is-ofsted", 31.5)))
    assert await log.flush()

    [question] = await store.logged_questions(since=NOW - timedelta(days=1))
    assert question.question == (
        "My name is [name], call [phone] or [email], [postcode] - when are the bins collected?"
    )
    assert question.outcome == "unanswered"
    assert question.candidates == (("what-is-ofsted", 31.5),)
    assert (question.chat_type, question.corpus_version) == ("private", "v1")
    assert question.user_hash == store.user_hash(RESIDENT)
    assert question.asked_at == NOW


async def test_the_personal_data_a_resident_typed_is_in_none_of_the_database_files(
    store: Store, log: QuestionLog
):
    ask(log, PERSONAL, unanswered())
    ask(log, PERSONAL + " help", suggestion("what-is-ofsted", "rating-2024"))
    ask(log, PERSONAL + " what is ofsted", ANSWER)
    log.vote(user_id=RESIDENT, chat_id=RESIDENT, message_id=5, entry_id=OFSTED.id, helpful=False)
    assert await log.flush()

    stored = database_bytes(store.path)
    assert b"[phone]" in stored
    for raw in (b"07700 900123", b"dawn.brown@example.com", b"Dawn Brown", b"CR0 2RH", b"1001"):
        assert raw not in stored


async def test_safeguarding_messages_and_smalltalk_are_only_counted(store, log: QuestionLog):
    danger = "a child is being hurt at 12 Acacia Avenue"
    ask(log, danger, Reply(Outcome.SAFEGUARDING, "Call 999"))
    ask(log, "thanks!", Reply(Outcome.SMALLTALK, "You're welcome"))
    assert await log.flush()

    assert await store.logged_questions(since=NOW - timedelta(days=1)) == []
    counts = {(c.outcome, c.count) for c in await store.outcome_counts(NOW.date())}
    assert counts == {("safeguarding", 1), ("smalltalk", 1)}
    assert b"Acacia" not in database_bytes(store.path)


async def test_answered_questions_are_counted_per_entry_without_their_text(store, log):
    ask(log, "what is ofsted", ANSWER)
    ask(log, "who are ofsted", ANSWER, user=OTHER)
    assert await log.flush()

    assert await store.logged_questions(since=NOW - timedelta(days=1)) == []
    [count] = await store.outcome_counts(NOW.date())
    assert (count.entry_id, count.outcome, count.count) == ("what-is-ofsted", "answer", 2)
    assert b"who are ofsted" not in database_bytes(store.path)


async def test_a_suggestion_resolved_by_a_choice_is_not_kept_even_once_written(
    store: Store, log: QuestionLog
):
    ask(log, "ofsted grade", suggestion("rating-2024", "what-is-ofsted"))
    ask(log, "ofsted thing", suggestion("rating-2024", "what-is-ofsted"), user=OTHER)
    assert await log.flush()
    assert len(await store.logged_questions(since=NOW - timedelta(days=1))) == 2

    log.choice_pressed(user_id=RESIDENT, chat_id=RESIDENT, entry_id="rating-2024")
    assert await log.flush()

    remaining = await store.logged_questions(since=NOW - timedelta(days=1))
    assert [q.question for q in remaining] == ["ofsted thing"]
    assert b"ofsted grade" not in database_bytes(store.path)
    counts = {(c.entry_id, c.outcome): c.count for c in await store.outcome_counts(NOW.date())}
    assert counts[("rating-2024", "choice")] == 1


async def test_a_suggestion_resolved_before_it_reached_the_disk_is_never_written(store, log):
    ask(log, "ofsted grade", suggestion("rating-2024", "what-is-ofsted"))
    log.choice_pressed(user_id=RESIDENT, chat_id=RESIDENT, entry_id="what-is-ofsted")
    assert await log.flush()
    assert await store.logged_questions(since=NOW - timedelta(days=1)) == []


async def test_a_choice_not_offered_in_the_last_suggestion_leaves_it_logged(store, log):
    ask(log, "ofsted grade", suggestion("rating-2024", "what-is-ofsted"))
    log.choice_pressed(user_id=RESIDENT, chat_id=RESIDENT, entry_id="early-help")
    log.choice_pressed(user_id=OTHER, chat_id=OTHER, entry_id="rating-2024")
    assert await log.flush()

    assert [q.question for q in await store.logged_questions(NOW - timedelta(days=1))] == [
        "ofsted grade"
    ]
    counts = {(c.entry_id, c.outcome): c.count for c in await store.outcome_counts(NOW.date())}
    assert counts[("early-help", "browse")] == 1


async def test_a_not_helpful_vote_keeps_the_question_that_got_the_answer(store, log):
    ask(log, "what do ofsted do to schools", ANSWER)
    log.vote(user_id=RESIDENT, chat_id=RESIDENT, message_id=7, entry_id=OFSTED.id, helpful=False)
    assert await log.flush()

    [question] = await store.logged_questions(NOW - timedelta(days=1), outcomes=["not_helpful"])
    assert (question.question, question.entry_id) == ("what do ofsted do to schools", OFSTED.id)
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT question_id FROM votes").fetchall() == [(question.id,)]
    counts = await store.vote_counts()
    assert [(c.entry_id, c.helpful, c.not_helpful) for c in counts] == [(OFSTED.id, 0, 1)]

    # Changing the vote to helpful takes the question out of the log again.
    log.vote(user_id=RESIDENT, chat_id=RESIDENT, message_id=7, entry_id=OFSTED.id, helpful=True)
    assert await log.flush()
    assert await store.logged_questions(NOW - timedelta(days=1), outcomes=["not_helpful"]) == []


async def test_while_another_program_locks_the_database_writes_wait_and_then_land(
    store: Store, log: QuestionLog, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="faqbot.events")
    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.perf_counter()
        ask(log, "when are the bins collected", unanswered())
        assert time.perf_counter() - started < 0.05  # recording never waits for the disk
        assert await log.flush() is False
        assert log.pending == 2
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    [failure] = [r for r in caplog.records if r.getMessage() == "question_log_write_failed"]
    assert "database is locked" in failure.event_fields["error"]

    assert await log.flush()
    assert log.pending == 0
    assert len(await store.logged_questions(NOW - timedelta(days=1))) == 1


async def test_the_background_writer_retries_until_the_lock_is_released(
    store: Store, log: QuestionLog
):
    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    log.start()
    try:
        ask(log, "when are the bins collected", unanswered())
        await _wait_until(lambda: False, seconds=0.3)
        assert log.pending == 2
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await _wait_until(lambda: log.pending == 0)
    await log.close()
    assert len(await store.logged_questions(NOW - timedelta(days=1))) == 1


async def test_a_read_only_database_keeps_the_writes_queued_until_it_is_writable(
    store: Store, log: QuestionLog
):
    await store.db.execute("PRAGMA query_only = ON")  # SQLite's own read-only switch
    ask(log, "when are the bins collected", unanswered())
    assert await log.flush() is False
    await store.db.execute("PRAGMA query_only = OFF")
    assert await log.flush()
    assert len(await store.logged_questions(NOW - timedelta(days=1))) == 1


async def test_a_full_database_keeps_the_writes_queued_until_there_is_room(
    store: Store, log: QuestionLog
):
    async with store.db.execute("PRAGMA page_count") as cursor:
        [pages] = await cursor.fetchone()
    await store.db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow
    for number in range(200):
        ask(log, f"a long question about bins and parking number {number} " * 10, unanswered())
    assert await log.flush() is False
    await store.db.execute("PRAGMA max_page_count = 1000000")
    assert await log.flush()
    assert len(await store.logged_questions(NOW - timedelta(days=1))) == 200


async def test_the_queue_is_bounded_and_drops_the_oldest_writes_first(store: Store):
    log = QuestionLog(store, max_pending=3, clock=lambda: NOW)
    for number in range(4):
        ask(log, f"question {number}", unanswered())
    assert log.pending == 3
    assert await log.flush()
    assert [q.question for q in await store.logged_questions(NOW - timedelta(days=1))] == [
        "question 2",
        "question 3",
    ]


async def test_closing_writes_what_is_queued_and_reports_what_it_could_not(
    store: Store, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="faqbot.events")
    log = QuestionLog(store, clock=lambda: NOW)
    ask(log, "first", unanswered())
    await log.close()
    assert len(await store.logged_questions(NOW - timedelta(days=1))) == 1

    locker = sqlite3.connect(store.path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        ask(log, "second", unanswered())
        await log.close(timeout=1.0)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    [lost] = [r for r in caplog.records if r.getMessage() == "question_log_lost"]
    assert lost.event_fields["writes"] == 2


async def test_purging_deletes_questions_and_votes_past_the_retention_period(store: Store):
    old = QuestionLog(store, clock=lambda: NOW - timedelta(days=181))
    ask(old, "an old question", unanswered())
    old.vote(user_id=RESIDENT, chat_id=RESIDENT, message_id=1, entry_id=OFSTED.id, helpful=True)
    recent = QuestionLog(store, retention_days=180, clock=lambda: NOW)
    ask(recent, "a recent question", unanswered())
    assert await old.flush() and await recent.flush()

    assert await recent.purge() == 2

    remaining = await store.logged_questions(NOW - timedelta(days=365))
    assert [q.question for q in remaining] == ["a recent question"]
    assert await store.vote_counts() == []
    # The daily counts hold no personal data and stay for the statistics.
    assert sum(c.count for c in await store.outcome_counts((NOW - timedelta(days=365)).date())) == 2


async def test_forget_deletes_a_users_logged_questions_and_nobody_elses(store, log):
    ask(log, "mine", unanswered())
    ask(log, "theirs", unanswered(), user=OTHER)
    assert await log.flush()
    assert await store.forget(RESIDENT) == 1
    assert [q.question for q in await store.logged_questions(NOW - timedelta(days=1))] == ["theirs"]


async def _wait_until(condition, seconds: float = 3.0) -> None:
    import asyncio

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.01)
