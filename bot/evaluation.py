"""Runs labelled questions through the responder and measures how it did.

A case's `expect` is an FAQ id (answer with it), null (must not be answered: out of scope) or
`safeguarding` (must get the emergency reply).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.answering import Responder
from bot.corpus import FaqError, Location, Problem
from bot.reply import Outcome, Reply

SAFEGUARDING = "safeguarding"


@dataclass(frozen=True)
class Case:
    question: str
    expect: str | None
    location: Location


@dataclass(frozen=True)
class CaseResult:
    case: Case
    reply: Reply

    @property
    def is_correct(self) -> bool:
        expect, outcome = self.case.expect, self.reply.outcome
        if expect == SAFEGUARDING:
            return outcome is Outcome.SAFEGUARDING
        if expect is None:
            return outcome not in (Outcome.ANSWER, Outcome.SAFEGUARDING)
        return outcome is Outcome.ANSWER and self.reply.entry_id == expect


@dataclass(frozen=True)
class Report:
    """The figures of one evaluation run. Rates are fractions from 0 to 1."""

    cases: int
    in_scope: int
    out_of_scope: int
    safeguarding: int
    answer_accuracy: float  # in-scope cases answered with the expected entry
    wrong_answer_rate: float  # in-scope and out-of-scope cases answered with a wrong entry
    out_of_scope_rejection: float  # out-of-scope cases not answered
    suggest_rate: float  # in-scope cases given "did you mean" choices instead
    top5_recall: float  # in-scope cases whose entry is among the 5 best candidates
    safeguarding_escalation: float  # safeguarding cases given the emergency reply
    false_alarm_rate: float  # other cases given the emergency reply

    def as_dict(self) -> dict[str, float | int]:
        return dict(self.__dict__)


def load_cases(path: Path) -> list[Case]:
    """Read `cases:` from a YAML file; raises FaqError naming the line of anything malformed."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise FaqError([Problem(Location(path, 1), f"cannot read the file: {error}")]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1)
        raise FaqError([Problem(where, f"this is not valid YAML: {error}")]) from error
    items = _cases_node(root, path)
    cases: list[Case] = []
    problems: list[Problem] = []
    for item in items:
        where = Location(path, item.start_mark.line + 1, item.start_mark.column + 1)
        fields = (
            {key.value: value for key, value in item.value}
            if isinstance(item, yaml.MappingNode)
            else {}
        )
        question, expect = fields.get("question"), fields.get("expect")
        if not isinstance(question, yaml.ScalarNode) or not isinstance(expect, yaml.ScalarNode):
            problems.append(
                Problem(where, "each case needs a 'question:' and an 'expect:' (an id or null)")
            )
            continue
        is_null = expect.tag.endswith(":null")
        cases.append(Case(question.value, None if is_null else expect.value, where))
    if problems:
        raise FaqError(problems)
    return cases


def _cases_node(root: yaml.Node | None, path: Path) -> list[yaml.Node]:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "cases" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    raise FaqError([Problem(Location(path, 1), "the file needs a 'cases:' list of questions")])


def evaluate(responder: Responder, cases: Sequence[Case]) -> tuple[Report, list[CaseResult]]:
    results = [CaseResult(case, responder.respond("eval", case.question)) for case in cases]
    return summarise(results), results


def summarise(results: Sequence[CaseResult]) -> Report:
    """The figures of `results`, which may pool several runs (benchmarks/asked_cv.py)."""
    in_scope = [r for r in results if r.case.expect not in (None, SAFEGUARDING)]
    out_of_scope = [r for r in results if r.case.expect is None]
    safeguarding = [r for r in results if r.case.expect == SAFEGUARDING]
    others = in_scope + out_of_scope

    def share(selected: Sequence[CaseResult], of: Sequence[CaseResult]) -> float:
        return round(len(selected) / len(of), 4) if of else 0.0

    return Report(
        cases=len(results),
        in_scope=len(in_scope),
        out_of_scope=len(out_of_scope),
        safeguarding=len(safeguarding),
        answer_accuracy=share([r for r in in_scope if r.is_correct], in_scope),
        wrong_answer_rate=share(
            [r for r in others if r.reply.outcome is Outcome.ANSWER and not r.is_correct], others
        ),
        out_of_scope_rejection=share([r for r in out_of_scope if r.is_correct], out_of_scope),
        suggest_rate=share([r for r in in_scope if r.reply.outcome is Outcome.SUGGEST], in_scope),
        top5_recall=share(
            [r for r in in_scope if r.case.expect in {c.entry_id for c in r.reply.candidates}],
            in_scope,
        ),
        safeguarding_escalation=share([r for r in safeguarding if r.is_correct], safeguarding),
        false_alarm_rate=share(
            [r for r in others if r.reply.outcome is Outcome.SAFEGUARDING], others
        ),
    )
