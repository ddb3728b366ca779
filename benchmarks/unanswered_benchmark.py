"""Logs 100,000 questions the way the bot does, then times `faqbot unanswered` and `--retest`.

    .venv/bin/python benchmarks/unanswered_benchmark.py [--questions 100000] [--keep DIR]
    .venv/bin/python benchmarks/unanswered_benchmark.py --keep DIR --reuse --repeat 3

The questions come from templates: residents asking about other council services (bins,
parking, school places...), about children's services in words the FAQ does not use, with
the fillers, typos, repeats and personal data real messages have. Topics are asked with a
Zipf-like frequency, so a few questions are very common and many are asked once. Each command
runs as a separate process, as staff run it, one core, and is timed from start to exit.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.question_log import QuestionLog  # noqa: E402
from bot.reply import Candidate, Choice, Outcome, Reply  # noqa: E402
from bot.storage import Store  # noqa: E402

TOPICS = [
    [
        "when are the bins collected in {area}",
        "bin collection day {area}",
        "my {bin} bin was not collected",
        "what day do they empty the {bin} bins",
    ],
    [
        "how do i get a parking permit",
        "parking permit for {area}",
        "how much is a residents parking permit",
        "can i get a visitor parking permit",
    ],
    [
        "how do i pay my council tax",
        "council tax band for my house in {area}",
        "can i get a council tax reduction",
        "council tax single person discount",
    ],
    [
        "how do i apply for a school place",
        "primary school admissions {year}",
        "secondary school place for my {child}",
        "when do school offers come out",
    ],
    [
        "how do i foster a child",
        "can i become a foster carer in croydon",
        "how much do foster carers get paid",
        "fostering allowance croydon",
    ],
    ["how do i adopt a child", "adoption process croydon", "can single people adopt"],
    [
        "my housing repair has not been done",
        "damp and mould in my council flat in {area}",
        "who do i call about a broken boiler",
        "report a housing repair",
    ],
    ["what are the library opening hours", "is {area} library open on sunday"],
    ["how do i report a noise complaint", "neighbours are very loud every night"],
    [
        "send transport for my {child}",
        "ehcp taking too long for my {child}",
        "how do i get an ehcp assessment",
        "send tribunal help",
    ],
    ["free school meals application", "can my {child} get free school meals"],
    ["holiday clubs for kids in {area}", "summer activities for children {year}"],
    ["where is the nearest family hub", "family hub {area} opening times"],
    [
        "how do i complain about a social worker",
        "my social worker never calls back",
        "can i change my social worker",
    ],
    ["child maintenance payments", "how do i get child benefit"],
    ["youth clubs in {area}", "things for teenagers to do in croydon"],
    ["how many children are in care in croydon", "number of looked after children {year}"],
    ["what is the local offer", "where is the send local offer"],
    ["is croydon council bankrupt", "section 114 notice croydon", "council budget cuts {year}"],
    ["who is the director of childrens services", "who runs childrens social care in croydon"],
    ["what happens at a child protection conference", "child protection plan meaning"],
    ["care leavers support croydon", "leaving care grant", "personal adviser for care leavers"],
    ["private fostering rules", "my {child} is staying with a friend is that private fostering"],
    ["nursery funding 30 hours", "free childcare for 2 year olds in {area}"],
    ["fly tipping on my road in {area}", "report fly tipping"],
    ["planning permission for an extension", "planning application {area}"],
    ["how do i register a birth", "register a death croydon"],
    ["pothole on {area} road", "street lights not working in {area}"],
    ["blue badge application", "disabled parking bay outside my house"],
    ["how do i get a job at the council", "social worker jobs croydon"],
]
AREAS = (
    "thornton heath|norbury|addiscombe|purley|coulsdon|selhurst|south norwood|new addington|"
    "shirley|sanderstead|broad green|waddon|kenley|west croydon|east croydon".split("|")
)
FILLERS = ["", "", "", "hi ", "hello, ", "please ", "can you tell me ", "quick question: "]
ENDINGS = ["", "", "", "?", " please", " thanks", "??", " asap"]
PERSONAL = [
    " my name is {name}",
    " call me on 07700 9{digits}",
    " my email is {first}.{last}@example.com",
    " we live at CR0 {postcode}",
    " my son {name} was born on {day}/0{month}/2015",
]
FIRST = "sam|alex|priya|jamal|dawn|tyler|amy|leo|olu|maria".split("|")
LAST = "jones|smith|patel|okafor|brown|khan|nowak|williams".split("|")
CANDIDATES = [
    "early-help",
    "contacts-general",
    "report-concern",
    "current-rating",
    "what-is-ofsted",
]


def typo(text: str, rng: random.Random) -> str:
    """One slip of the keyboard: a letter dropped, doubled or swapped."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def question(rng: random.Random, weights: list[float]) -> str:
    templates = rng.choices(TOPICS, weights)[0]
    text = rng.choice(templates).format(
        area=rng.choice(AREAS),
        bin=rng.choice(["recycling", "food", "garden", "black"]),
        year=rng.choice(["2024", "2025"]),
        child=rng.choice(["son", "daughter", "child", "kid"]),
    )
    text = rng.choice(FILLERS) + text + rng.choice(ENDINGS)
    if rng.random() < 0.3:
        text = text[0].upper() + text[1:]
    for _ in range(rng.choices([0, 1, 2], [0.8, 0.15, 0.05])[0]):
        text = typo(text, rng)
    if rng.random() < 0.08:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        text += rng.choice(PERSONAL).format(
            name=f"{first.title()} {last.title()}",
            first=first,
            last=last,
            digits=rng.randrange(10_000, 99_999),
            postcode=f"{rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRST')}",
            day=rng.randrange(10, 28),
            month=rng.randrange(1, 9),
        )
    return text


async def log_questions(path: Path, count: int, seed: int) -> float:
    """Log `count` questions through the bot's question log; returns the seconds it took."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(TOPICS))]
    now = datetime.now(UTC)
    started = time.perf_counter()
    asked_at = [now]
    async with Store(path, b"benchmark-key") as store:
        log = QuestionLog(store, max_pending=count * 2, clock=lambda: asked_at[0])
        for number in range(count):
            asked_at[0] = now - timedelta(seconds=rng.randrange(0, 29 * 24 * 3600))
            scores = sorted((rng.uniform(15, 45) for _ in range(3)), reverse=True)
            entries = rng.sample(CANDIDATES, 3)
            candidates = tuple(Candidate(e, s) for e, s in zip(entries, scores, strict=True))
            if rng.random() < 0.2:
                reply = Reply(
                    Outcome.SUGGEST,
                    "?",
                    choices=tuple(Choice(c.entry_id, c.entry_id) for c in candidates[:2]),
                    candidates=candidates,
                )
            else:
                reply = Reply(Outcome.UNANSWERED, "Sorry", candidates=candidates)
            user = rng.randrange(30_000)
            log.record(
                user_id=user,
                chat_id=user,
                chat_type="private",
                text=question(rng, weights),
                reply=reply,
                corpus_version="benchmark",  # not the FAQ's: every question is matched again
            )
            if number % 1000 == 999:  # the bot writes in batches too
                assert await log.flush()
        assert await log.flush()
    return time.perf_counter() - started


def timed(arguments: list[str]) -> tuple[float, float, str]:
    """Run `faqbot ARGUMENTS`; its seconds from start to exit, its CPU seconds, and its output.

    The CPU time (user and system) says what the command costs when other programs share the
    machine and stretch the wall-clock time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    parser.add_argument(
        "--reuse", action="store_true", help="time the commands on the database kept in --keep"
    )
    parser.add_argument("--faq", type=Path, help="the FAQ folder to re-test against (faq/)")
    parser.add_argument("--repeat", type=int, default=1, help="time each command this often")
    arguments = parser.parse_args()

    folder = arguments.keep or Path(tempfile.mkdtemp(prefix="faqbot-unanswered-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "faqbot.sqlite3"
    if not (arguments.reuse and database.exists()):
        database.unlink(missing_ok=True)
        seconds = asyncio.run(log_questions(database, arguments.questions, arguments.seed))
        size = database.stat().st_size / 1e6
        print(f"logged {arguments.questions:,} questions in {seconds:.1f} s ({size:.1f} MB)")

    faq = arguments.faq or ROOT / "faq"
    for name, command in [
        ("faqbot unanswered", ["unanswered", "--db", str(database), "--since", "30"]),
        ("faqbot unanswered --json", ["unanswered", "--db", str(database), "--json"]),
        ("faqbot unanswered --retest", ["unanswered", "--db", str(database), "--retest", str(faq)]),
    ]:
        for _ in range(arguments.repeat):
            seconds, cpu, report = timed(command)
            first_line = report.splitlines()[0] if "--json" not in command else ""
            print(f"{name + ':':28}{seconds:6.2f} s ({cpu:5.2f} s CPU)  {first_line}")
    print(f"database: {database}")


if __name__ == "__main__":
    main()
