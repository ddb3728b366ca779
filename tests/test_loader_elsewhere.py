"""The "elsewhere" topics and the safeguarding examples: what staff write, and their mistakes."""

from pathlib import Path

from test_loader import (
    SAFEGUARDING_YAML,
    TODAY,
    WHAT_IS_OFSTED,
    errors,
    faq_folder,
    where,
)

from bot.corpus import ElsewhereTopic
from bot.loader import load_corpus

ELSEWHERE = """\
elsewhere:
  - id: fostering
    examples:
      - how do i become a foster carer
      - fostering allowance
  - id: bins
    examples: [when are the bins collected]
"""


def test_elsewhere_topics_are_loaded_with_their_examples(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "elsewhere.yaml": ELSEWHERE})

    corpus = load_corpus(folder, today=TODAY)

    assert corpus.elsewhere == (
        ElsewhereTopic("fostering", ("how do i become a foster carer", "fostering allowance")),
        ElsewhereTopic("bins", ("when are the bins collected",)),
    )


def test_a_folder_without_elsewhere_topics_is_fine(tmp_path: Path) -> None:
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})

    assert load_corpus(folder, today=TODAY).elsewhere == ()


def test_an_elsewhere_topic_without_examples_names_its_line(tmp_path: Path) -> None:
    text = "elsewhere:\n  - id: bins\n"
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "elsewhere.yaml": text})

    [error] = errors(folder)

    assert where(error) == "elsewhere.yaml:2"
    assert '"examples"' in error.message


def test_a_question_both_answered_and_sent_elsewhere_is_an_error(tmp_path: Path) -> None:
    text = "elsewhere:\n  - id: other\n    examples:\n      - what is ofsted\n"
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "elsewhere.yaml": text})

    [error] = errors(folder)

    assert where(error) == "elsewhere.yaml:4"
    assert "also asked at" in error.message
    assert "could not tell" in error.message


def test_an_elsewhere_id_used_twice_is_an_error(tmp_path: Path) -> None:
    text = ELSEWHERE.replace("id: bins", "id: fostering")
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "elsewhere.yaml": text})

    [error] = errors(folder)

    assert where(error) == "elsewhere.yaml:6"
    assert 'the id "fostering" is also used at' in error.message


def test_an_elsewhere_id_must_be_a_slug(tmp_path: Path) -> None:
    text = ELSEWHERE.replace("id: bins", "id: Bins and recycling")
    folder = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "elsewhere.yaml": text})

    [error] = errors(folder)

    assert where(error) == "elsewhere.yaml:6"


def test_safeguarding_examples_are_optional_and_loaded(tmp_path: Path) -> None:
    with_examples = SAFEGUARDING_YAML + "  examples:\n    - the kids next door are never fed\n"
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": with_examples}
    )

    corpus = load_corpus(folder, today=TODAY)

    assert corpus.safeguarding.examples == ("the kids next door are never fed",)


def test_a_safeguarding_example_repeated_names_both_lines(tmp_path: Path) -> None:
    with_examples = SAFEGUARDING_YAML + "  examples:\n    - kids never fed\n    - Kids never fed!\n"
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": with_examples}
    )

    [error] = errors(folder)

    assert where(error) == "safeguarding.yaml:9"
    assert "already asked at line 8 of the safeguarding examples" in error.message


def test_safeguarding_reassurances_are_optional_and_loaded(tmp_path: Path) -> None:
    with_reassurances = SAFEGUARDING_YAML + "  reassurances:\n    - nobody is in danger\n"
    (tmp_path / "with").mkdir()
    folder = faq_folder(
        tmp_path / "with", {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": with_reassurances}
    )
    without = faq_folder(tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED})

    assert load_corpus(folder, today=TODAY).safeguarding.reassurances == ("nobody is in danger",)
    assert load_corpus(without, today=TODAY).safeguarding.reassurances == ()


def test_safeguarding_reassurances_written_as_one_line_name_their_line(tmp_path: Path) -> None:
    with_reassurances = SAFEGUARDING_YAML + "  reassurances: nobody is in danger\n"
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": with_reassurances}
    )

    [error] = errors(folder)

    assert where(error) == "safeguarding.yaml:7"
    assert '"reassurances"' in error.message


def test_a_reassurance_that_does_not_say_nobody_is_at_risk_is_an_error(tmp_path: Path) -> None:
    # Its words would be ignored everywhere: "danger" alone would silence every "my son is in
    # danger".
    with_reassurances = (
        SAFEGUARDING_YAML + "  reassurances:\n    - danger\n    - a child in danger\n"
    )
    folder = faq_folder(
        tmp_path, {"ofsted.yaml": WHAT_IS_OFSTED, "safeguarding.yaml": with_reassurances}
    )

    found = errors(folder)

    assert [where(error) for error in found] == ["safeguarding.yaml:8", "safeguarding.yaml:9"]
    assert all("must say plainly that nobody is at risk" in error.message for error in found)
