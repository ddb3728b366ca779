from __future__ import annotations

from pathlib import Path

import pytest

from bot.corpus import FaqError
from bot.updates import latest_updates, load_updates

SHIPPED_FAQ = Path(__file__).parent.parent / "faq"


def test_the_shipped_history_is_all_marked_published_newest_first() -> None:
    updates = latest_updates(SHIPPED_FAQ, limit=10)

    assert [update.date.year for update in updates] == [2024, 2020, 2020, 2018, 2018, 2017]
    assert all(update.published for update in updates)
    assert all(update.link and update.link.startswith("https://") for update in updates)


@pytest.mark.parametrize(
    ("text", "where", "complaint"),
    [
        ("updates: [\n", "2:1", "YAML cannot read this line"),
        ("news: []\n", "1:1", 'the file must start with "updates:"'),
        (
            "updates:\n  - {id: a, date: 2024-12-03, title: T}\n",
            "2:5",
            'the update "a" has no "summary": add a "summary:" line',
        ),
        ("updates:\n  - {id: a, date: soon, title: T, summary: S}\n", "2:19", "YYYY-MM-DD"),
        ("updates:\n  - {id: A b, date: 2024-12-03, title: T, summary: S}\n", "2:10", '"a-b"'),
        (
            "updates:\n  - {id: a, date: 2024-12-03, title: T, summary: S, published: soon}\n",
            "2:64",
            '"published" must be true or false',
        ),
    ],
)
def test_a_broken_updates_file_says_which_line_and_what_to_do(
    tmp_path: Path, text: str, where: str, complaint: str
) -> None:
    (tmp_path / "updates.yaml").write_text(text, encoding="utf-8")

    with pytest.raises(FaqError) as raised:
        load_updates(tmp_path)

    [problem] = raised.value.problems
    assert str(problem).startswith(f"{tmp_path / 'updates.yaml'}:{where}: error: ")
    assert complaint in problem.message


def test_an_id_used_twice_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "updates.yaml").write_text(
        "updates:\n"
        "  - {id: plan, date: 2025-06-01, title: T, summary: S}\n"
        "  - {id: plan, date: 2025-07-01, title: T2, summary: S2}\n",
        encoding="utf-8",
    )

    with pytest.raises(FaqError, match=r'"plan" is also used at .*updates.yaml:2:'):
        load_updates(tmp_path)
