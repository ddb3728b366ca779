"""Groups the questions the FAQ could not answer, and re-tests them against an edited FAQ.

Staff read these to decide what to add to the FAQ next, so similar questions are shown once,
as a group, largest first; `retest` tells them which questions an edit now answers.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.redaction import without_tags
from bot.reply import Outcome, Reply
from bot.storage import LoggedQuestion, LoggedWording, paused_garbage_collection
from bot.text import normalise

if TYPE_CHECKING:
    from bot.answering import Responder

# Questions join a group when their words, put in alphabetical order, are this similar (0-100,
# rapidfuzz's ratio: 1 - edit distance / length) to the group's first question. Sorting the
# words first makes "bins collection when" and "when bins collection" the same; comparing
# characters, not whole words, lets typos ("colection") join. 75 keeps "when are the bins
# collected" and "when are bins collected in croydon" together, and "how do i adopt a child"
# apart from "how do i foster a child" (71). token_set_ratio was rejected: it scores 100
# whenever one question's words are a subset of another's, so "bins" swallowed every question
# that mentions bins.
CLUSTER_THRESHOLD = 75.0
# Distinct wordings compared with the leaders in one call.
BLOCK = 1_000


@dataclass(frozen=True)
class Nearest:
    """The FAQ entry closest to a group of questions, and its average score among them."""

    entry_id: str
    score: float


@dataclass(frozen=True)
class Cluster:
    """Similar questions, with what staff need to judge how much they matter."""

    representative: str  # the group's most frequent wording
    questions: tuple[LoggedQuestion, ...]
    nearest: Nearest | None

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def users(self) -> int:
        return len({question.user_hash for question in self.questions})

    @property
    def first_seen(self) -> datetime:
        return min(question.asked_at for question in self.questions)

    @property
    def last_seen(self) -> datetime:
        return max(question.asked_at for question in self.questions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "representative": self.representative,
            "count": self.count,
            "users": self.users,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "nearest_entry": self.nearest.entry_id if self.nearest else None,
            "nearest_score": self.nearest.score if self.nearest else None,
            "wordings": [text for text, _ in _wordings(self.questions).most_common(5)],
        }


def matching_key(question: str) -> str:
    """The words that decide which group a question joins: no tags, case or punctuation."""
    return normalise(without_tags(question) if "[" in question else question, limit=None)


def cluster_questions(
    questions: Iterable[LoggedQuestion], threshold: float = CLUSTER_THRESHOLD
) -> list[Cluster]:
    """Group similar questions, the largest group first.

    Fast on a long log: identical wordings (after normalising and sorting the words) are
    compared once, and each distinct wording only with the first wording of each group so far
    ("leader" clustering), most frequent wordings first so that they lead. The comparisons run
    a block of wordings at a time against all leaders in one rapidfuzz `cdist` call.
    100,000 questions take a few seconds (benchmarks/README.md).
    """
    by_key: dict[str, list[LoggedQuestion]] = {}
    keys_of_text: dict[str, str] = {}
    for question in questions:
        key = keys_of_text.get(question.question)
        if key is None:
            key = " ".join(sorted(matching_key(question.question).split()))
            keys_of_text[question.question] = key
        by_key.setdefault(key, []).append(question)
    keys = sorted(by_key, key=lambda key: (-len(by_key[key]), key))

    leaders: list[str] = []
    members: list[list[str]] = []
    for start in range(0, len(keys), BLOCK):
        block = keys[start : start + BLOCK]
        known = len(leaders)
        scores = (
            process.cdist(block, leaders, scorer=fuzz.ratio, score_cutoff=threshold, dtype=np.uint8)
            if leaders
            else None
        )
        for row, key in enumerate(block):
            group, best = None, 0.0
            if scores is not None and key:
                column = int(scores[row].argmax())
                if scores[row, column]:
                    group, best = column, float(scores[row, column])
            # Leaders made within this block were not in the matrix: compare with them too.
            newer = process.extractOne(
                key, leaders[known:], scorer=fuzz.ratio, score_cutoff=max(threshold, best + 1)
            )
            if key and newer is not None:
                group = known + newer[2]
            if group is None or not key:
                leaders.append(key if key else "\0")  # no words: a group of its own
                members.append([key])
            else:
                members[group].append(key)

    clusters = []
    for keys_in_group in members:
        grouped = tuple(q for key in keys_in_group for q in by_key[key])
        representative = _wordings(grouped).most_common(1)[0][0]
        clusters.append(Cluster(representative, grouped, nearest_entry(grouped)))
    clusters.sort(key=lambda c: (-c.count, -c.users, c.representative))
    return clusters


def nearest_entry(questions: Sequence[LoggedQuestion]) -> Nearest | None:
    """The entry that came top most often for these questions, with its average top score."""
    tops: dict[str, list[float]] = {}
    for question in questions:
        if question.candidates:
            entry_id, score = question.candidates[0]
            tops.setdefault(entry_id, []).append(score)
    if not tops:
        return None
    entry_id = max(tops, key=lambda entry: (len(tops[entry]), sum(tops[entry])))
    scores = tops[entry_id]
    return Nearest(entry_id, round(sum(scores) / len(scores), 1))


def _wordings(questions: Iterable[LoggedQuestion]) -> Counter[str]:
    return Counter(question.question for question in questions)


# -- Re-testing against an edited FAQ --------------------------------------------------------


@dataclass(frozen=True)
class NowAnswered:
    """Logged questions that the FAQ as it is now would answer with one entry."""

    entry_id: str
    entry_question: str
    wordings: tuple[LoggedWording, ...]  # in the order first asked

    @property
    def count(self) -> int:
        return sum(wording.count for wording in self.wordings)

    def most_asked(self) -> list[tuple[str, int]]:
        """Each wording and how often it was asked, most first (first asked first on a tie)."""
        counts: Counter[str] = Counter()
        for wording in self.wordings:
            counts[wording.question] += wording.count
        return counts.most_common()

    def as_dict(self) -> dict[str, Any]:
        return {
            "entry": self.entry_id,
            "entry_question": self.entry_question,
            "count": self.count,
            "questions": [text for text, _ in self.most_asked()],
        }


@dataclass(frozen=True)
class Retest:
    checked: int
    now_answered: tuple[NowAnswered, ...]  # most questions first
    now_suggested: int  # would get "did you mean" choices
    still_unanswered: int

    @property
    def answered(self) -> int:
        return sum(group.count for group in self.now_answered)


def retest(
    wordings: Sequence[LoggedWording], responder: Responder, *, workers: int | None = None
) -> Retest:
    """Match every logged question again, with `responder`'s FAQ.

    The log comes grouped by wording (Store.logged_wordings). Wordings that read the same once
    cleaned are matched once, and all of them in batches, most only as far as it takes to show
    they match no entry (Responder.answers_and_suggestions: 100,000 logged questions take a few
    seconds). Questions logged against this very FAQ (same corpus version) are not matched
    again: the answer to them cannot have changed, so they keep the outcome they were logged
    with.
    """
    with paused_garbage_collection():
        return _retest(wordings, responder, workers or os.cpu_count() or 1)


def _retest(wordings: Sequence[LoggedWording], responder: Responder, workers: int) -> Retest:
    by_key: dict[str, list[LoggedWording]] = {}
    suggested = 0
    version = responder.corpus.version
    for wording in wordings:
        if wording.corpus_version == version:
            suggested += wording.count * (wording.outcome == Outcome.SUGGEST.value)
            continue
        by_key.setdefault(matching_key(wording.question), []).append(wording)
    texts = [without_tags(same[0].question) for same in by_key.values()]
    answered: dict[str, list[LoggedWording]] = {}
    replies = answers_and_suggestions(responder, texts, workers)
    for same, reply in zip(by_key.values(), replies, strict=True):
        if reply is None:
            continue
        if reply.outcome is Outcome.ANSWER and reply.entry_id is not None:
            answered.setdefault(reply.entry_id, []).extend(same)
        elif reply.outcome is Outcome.SUGGEST:
            suggested += sum(wording.count for wording in same)
    groups = []
    for entry_id, found in answered.items():
        entry = responder.corpus.entry(entry_id)
        groups.append(NowAnswered(entry_id, entry.question if entry else "", tuple(found)))
    groups.sort(key=lambda group: (-group.count, group.entry_id))
    checked = sum(wording.count for wording in wordings)
    now_answered = sum(group.count for group in groups)
    return Retest(
        checked=checked,
        now_answered=tuple(groups),
        now_suggested=suggested,
        still_unanswered=checked - now_answered - suggested,
    )


# A retest of fewer distinct questions than this runs in one process: starting more costs more.
PARALLEL_FROM = 4_000
# The responder the forked workers answer with (set just before they are started).
_worker_responder: Responder | None = None


def answers_and_suggestions(
    responder: Responder, texts: Sequence[str], workers: int, parallel_from: int = PARALLEL_FROM
) -> list[Reply | None]:
    """`Responder.answers_and_suggestions` of every text, over `workers` processes.

    Each text's reply does not depend on the others, so the texts are dealt out in turn to
    forked copies of the process (the index is shared, not rebuilt) and the replies put back
    in order: the same replies, on two cores in a little over half the time.
    """
    if workers < 2 or len(texts) < parallel_from or "fork" not in get_all_start_methods():
        return list(responder.answers_and_suggestions(texts))
    global _worker_responder
    _worker_responder = responder
    try:
        with get_context("fork").Pool(workers) as pool:
            parts = pool.map(_answer_part, [texts[n::workers] for n in range(workers)])
    finally:
        _worker_responder = None
    replies: list[Reply | None] = [None] * len(texts)
    for n, part in enumerate(parts):
        replies[n::workers] = part
    return replies


def _answer_part(texts: Sequence[str]) -> list[Reply | None]:
    assert _worker_responder is not None
    return list(_worker_responder.answers_and_suggestions(texts))


# -- Output ----------------------------------------------------------------------------------


def write_csv(clusters: Sequence[Cluster], path: Path) -> int:
    """One row per question with its group, for a spreadsheet; returns the number of rows."""
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            [
                "group",
                "group_size",
                "representative",
                "asked_at",
                "outcome",
                "question",
                "nearest_entry",
                "nearest_score",
                "chat_type",
                "corpus_version",
            ]
        )
        for number, cluster in enumerate(clusters, 1):
            for question in sorted(cluster.questions, key=lambda q: q.asked_at):
                top = question.candidates[0] if question.candidates else ("", "")
                writer.writerow(
                    [
                        number,
                        cluster.count,
                        cluster.representative,
                        question.asked_at.isoformat(),
                        question.outcome,
                        question.question,
                        top[0],
                        top[1],
                        question.chat_type,
                        question.corpus_version,
                    ]
                )
                rows += 1
    return rows


def format_clusters(clusters: Sequence[Cluster], days: int, top: int) -> list[str]:
    """The clusters as staff read them in a terminal or a Telegram message."""
    questions = sum(cluster.count for cluster in clusters)
    lines = [
        f"Unanswered questions in the last {_plural(days, 'day')}: "
        f"{_plural(questions, 'question')} in {_plural(len(clusters), 'group')}, largest first."
    ]
    for number, cluster in enumerate(clusters[:top], 1):
        nearest = (
            f"nearest entry {cluster.nearest.entry_id} ({cluster.nearest.score:g})"
            if cluster.nearest
            else "no entry near"
        )
        lines.append("")
        lines.append(f'{number}. "{_shorten(cluster.representative)}"')
        lines.append(
            f"   {_plural(cluster.count, 'time')} by {_plural(cluster.users, 'person', 'people')}"
            f", {cluster.first_seen:%d %b %Y} to {cluster.last_seen:%d %b %Y}; {nearest}"
        )
    if len(clusters) > top:
        lines.append("")
        lines.append(f"... and {_plural(len(clusters) - top, 'smaller group')}.")
    return lines


def format_retest(result: Retest, faq_dir: Path) -> list[str]:
    lines = [
        f"Re-tested {_plural(result.checked, 'logged question')} against {faq_dir}: "
        f"{result.answered} would now be answered, {result.now_suggested} would get choices, "
        f"{result.still_unanswered} still unanswered."
    ]
    for group in result.now_answered:
        lines.append("")
        lines.append(f"{group.entry_id} ({_plural(group.count, 'question')})")
        for text, times in group.most_asked()[:5]:
            lines.append(f'   "{_shorten(text)}"' + (f" x{times}" if times > 1 else ""))
    return lines


def _shorten(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
