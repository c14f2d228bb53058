"""One notation for the whole book, on one page that every chapter links."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]_*.md"))


def test_the_notation_page_is_in_the_toc_and_defines_the_weight_convention():
    assert "file: book/notation" in (ROOT / "_toc.yml").read_text()
    page = (ROOT / "book" / "notation.md").read_text()
    assert "from unit $j$ of layer $l$ to unit $i$ of layer $l + 1$" in page
    assert "Keras stores the transpose" in page


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_chapter_links_the_notation_page_under_its_title(chapter):
    title_and_first_lines = chapter.read_text().split("```{code-cell}")[0]
    assert "[notation](notation.md)" in title_and_first_lines, chapter.name


def test_no_chapter_keeps_a_notation_table_of_its_own():
    for chapter in CHAPTERS:
        assert not re.search(r"^\| symbol \| meaning \|", chapter.read_text(), flags=re.M), chapter.name
