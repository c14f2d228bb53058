"""The download menu's files (book/_ext/dlbook_downloads.py): each chapter's executed
notebook with its figures, and PDFs of every page and of the whole book."""

import json
import re

import pytest

from tests.test_built_book import HTML, chapters, toc_files

pytestmark = pytest.mark.book
SCREENSHOTS = HTML.parent / "screenshots"


def figures_on_page(page: str) -> int:
    return len(re.findall(r"<figure[^>]*>\s*(?:<div[^>]*>\s*)*<img", (HTML / f"{page}.html").read_text()))


def notebook(chapter: str) -> dict:
    return json.loads((HTML / "_sources" / f"{chapter}.ipynb").read_text())


@pytest.mark.parametrize("chapter", chapters())
def test_the_notebook_download_holds_the_builds_outputs_and_figures(chapter):
    cells = notebook(chapter)["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    outputs = [o for c in code for o in c["outputs"]]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    moving = [o for o in outputs if "dlbook-moving-figure" in "".join(o.get("data", {}).get("text/html", ""))]
    assert all(c["execution_count"] for c in code), "a code cell was not executed"
    # a moving figure (dlbook.interactive) is its HTML, whose still image a notebook shows
    assert len(images) + len(moving) == figures_on_page(chapter), "each figure of the page is an output"
    assert not any(key.startswith("application/papermill") for o in outputs for key in o.get("data", {}))


@pytest.mark.parametrize("chapter", chapters())
def test_the_notebook_download_quotes_the_glued_numbers_in_its_text(chapter):
    text = "".join("".join(c["source"]) for c in notebook(chapter)["cells"] if c["cell_type"] == "markdown")
    assert not re.search(r"\{glue(:\w*)?\}`", text), "a glued value is still a role"
    assert "{glue:figure}" not in text and "{glue:table}" not in text
    runtime = re.search(r"\*Running time: (.+?) on a two-core CPU", text)
    assert runtime and "glue" not in runtime.group(1)


def pdf(page: str):
    from pypdf import PdfReader

    return PdfReader(HTML / "_pdf" / f"{page}.pdf")


@pytest.mark.parametrize("page", toc_files())
def test_every_page_links_its_pdf_and_the_books(page):
    html = (HTML / f"{page}.html").read_text()
    depth = page.count("/")
    assert f'href="{"../" * depth}_pdf/{page}.pdf"' in html
    assert f'href="{"../" * depth}_pdf/book.pdf"' in html
    assert "window.print()" not in html, "the print dialog is not a PDF"


@pytest.mark.parametrize("page", toc_files())
def test_every_pages_pdf_is_printed_with_its_text_and_figures(page):
    document = pdf(page)
    text = " ".join(p.extract_text() for p in document.pages)
    title = re.search(r"<title>(?:\d+\. )?(.*?) &#8212;", (HTML / f"{page}.html").read_text()).group(1)
    assert title.split(":")[0] in text
    embedded = sum(len(p.images) for p in document.pages)
    assert embedded >= figures_on_page(page)


def test_the_book_pdf_holds_every_page_with_a_bookmark_each():
    book = pdf("book")
    assert len(book.pages) == sum(len(pdf(page).pages) for page in toc_files())
    assert len(book.outline) == len(toc_files())


def test_a_printed_page_shows_a_wide_equation_whole_and_a_figure(tmp_path):
    """Chapter 3's widest equation (3.7) is scaled into the printed page; the page is
    rendered as an image (kept in _build/screenshots/ for a look): ink inside the margins."""
    import numpy as np
    import pypdfium2

    document = pdf("book/03_backpropagation")
    number = next(i for i, p in enumerate(document.pages) if "(3.7)" in p.extract_text())
    image = pypdfium2.PdfDocument(HTML / "_pdf" / "book" / "03_backpropagation.pdf")[number]
    picture = image.render(scale=2).to_pil().convert("L")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    picture.save(SCREENSHOTS / "pdf-03_backpropagation-equation-3.7.png")
    ink = np.argwhere(np.asarray(picture) < 128)
    width = picture.size[0]
    margin = width * 14 / 210  # 14 mm of the A4 page's 210
    assert len(ink) > 1000, "the page is blank"
    assert ink[:, 1].max() < width - margin * 0.8, "something is printed into the right margin"
    assert ink[:, 1].min() > margin * 0.8
