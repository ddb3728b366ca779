"""`faqbot check`: the loader's checks plus those that need the matcher."""

from __future__ import annotations

from pathlib import Path

from bot.answering import Responder
from bot.corpus import Corpus, Entry, FaqError, Location, Problem
from bot.index_cache import IndexCache
from bot.loader import check_directory, load_corpus
from bot.matching import Matcher
from bot.reply import Outcome


def check_content(directory: Path, cache: IndexCache | None = None) -> list[Problem]:
    """Every error and warning in the FAQ folder, in file and line order.

    `cache` keeps the indexes built here, so the bot reloading the checked folder need not
    build them again.
    """
    problems = check_directory(directory)
    if any(not problem.is_warning for problem in problems):
        return problems
    try:
        corpus = load_corpus(directory)
    except FaqError as error:  # check_directory and load_corpus agree; this is a safety net
        return error.problems
    found = misplaced_alternatives(corpus, Matcher(corpus.entries, corpus.synonyms, cache=cache))
    found += alternatives_not_answered(Responder(corpus, cache=cache))
    return sorted(problems + found, key=_position)


def misplaced_alternatives(corpus: Corpus, matcher: Matcher | None = None) -> list[Problem]:
    """Warn about alternatives that another entry's wording matches better than their own.

    Such an alternative sends residents to the wrong answer, or makes the bot unsure. Versions
    of one topic ("rating in 2017" / "in 2024") are one answer here and never warned about.
    """
    matcher = matcher or Matcher(corpus.entries, corpus.synonyms)
    problems = []
    for entry, alternative, rival, own_score, rival_score in matcher.confusable_alternatives():
        if entry.topic is not None and entry.topic == rival.topic:
            continue
        # Whole points, unless rounding would show a closer entry as no closer ("84" and "84").
        places = next((p for p in (0, 1) if round(rival_score, p) > round(own_score, p)), 2)
        rival_points, own_points = f"{rival_score:.{places}f}", f"{own_score:.{places}f}"
        problems.append(
            Problem(
                _where_written(entry, alternative),
                f'the alternative "{alternative}" of "{entry.id}" is closer to the entry '
                f'"{rival.id}" ({rival_points}) than to its own other wording '
                f'({own_points}) - reword it, or move it to "{rival.id}" if it belongs there',
                is_warning=True,
            )
        )
    return problems


def alternatives_not_answered(responder: Responder) -> list[Problem]:
    """Warn about alternatives that, asked word for word, get the emergency reply.

    They hold a trigger phrase, or read more like the safeguarding examples than like their
    entry, so residents who ask them that way never see the answer. Entries that are
    themselves about reporting a concern are meant to get the emergency reply.
    """
    problems = []
    for entry in responder.corpus.entries:
        if entry.id in responder.reporting_entries:
            continue
        replies = responder.respond_many(entry.alternatives)
        for alternative, reply in zip(entry.alternatives, replies, strict=True):
            if reply.outcome is not Outcome.SAFEGUARDING:
                continue
            message = (
                f'the alternative "{alternative}" of "{entry.id}" gets the emergency reply, '
                "because it contains a trigger phrase or reads like the safeguarding examples: "
                "reword it"
            )
            problems.append(Problem(_where_written(entry, alternative), message, is_warning=True))
    return problems


def _where_written(entry: Entry, alternative: str) -> Location:
    """The alternative's own line, so staff go straight to it; else its entry's."""
    for written, location in zip(entry.alternatives, entry.alternative_locations, strict=False):
        if written == alternative:
            return location
    return entry.location or Location(Path("?"), 1)


def _position(problem: Problem) -> tuple[str, int, int]:
    return (str(problem.location.file), problem.location.line, problem.location.column)
