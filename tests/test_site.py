"""The built site in Chromium, every page at desktop and phone width (tests/site.py).

Run by ``python3 dev.py test`` after the build, with the built-book checks. For
each page and width: no script or console error, no request to another host,
every image loads with a meaningful alt text, figures large enough to read their
text, every formula typeset and none clipped (on screen or printed), no sideways
scrolling, no serious or critical axe violation; a screenshot of each lands in
``_build/screenshots/`` for review.
"""

from pathlib import Path

import pytest

from dlbook import plotting
from tests import site
from tests.test_built_book import HTML, MOVING, toc_files

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
pytestmark = pytest.mark.book
PAGES = [f"{page}.html" for page in toc_files()]
CHECKS = ("broken_images", "bad_alt_text", "untypeset_math", "clipped_equations", "page_overflow",
          "accessibility")


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("no built book in _build/html: run `python3 dev.py book` first")
    with site.serve(HTML) as base:
        yield base


@pytest.mark.parametrize("width", sorted(site.WIDTHS))
@pytest.mark.parametrize("page_name", PAGES)
def test_every_page_works_in_a_real_browser(server, browser, page_name, width):
    context = browser.new_context(viewport=site.WIDTHS[width])
    try:
        page, record = site.visit(context, server + page_name, server)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = page_name.removesuffix(".html").replace("/", "_")
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.jpeg", full_page=True, type="jpeg",
                        quality=60)
        problems = site.script_errors(record) + site.foreign_requests(record)
        for check in CHECKS:
            if check != "page_overflow" or width == "phone":
                problems += getattr(site, check)(page)
        problems += site.small_figure_text(page, plotting.FONT_PT, plotting.DPI, plotting.MIN_TEXT_PX)
        if width == "desktop":
            problems += site.printed_equations_cut(page)
    finally:
        context.close()
    assert problems == []


@pytest.mark.parametrize("page_name", [f"{page}.html" for page in MOVING])
def test_every_slider_moves_its_figure(server, browser, page_name):
    context = browser.new_context(viewport=site.WIDTHS["phone"])
    try:
        page, record = site.visit(context, server + page_name, server)
        assert (site.sliders_move_figures(page) + site.moving_figures_print_still(page)
                + site.script_errors(record)) == []
    finally:
        context.close()


@pytest.fixture
def chapter(server, browser):
    """Chapter 8 at desktop width, in a context that may read the clipboard."""
    context = browser.new_context(viewport=site.WIDTHS["desktop"],
                                  permissions=["clipboard-read", "clipboard-write"])
    page, _ = site.visit(context, server + "book/08_normalization.html", server)
    yield page
    context.close()


def test_search_finds_batch_normalization_in_chapter_8(server, chapter):
    assert site.search_finds(chapter, server, "batch normalization", "08_normalization") == []


def test_a_solution_opens_on_click(chapter):
    assert site.dropdown_opens(chapter) == []


def test_the_theme_button_switches_to_dark_and_back(chapter):
    assert site.dark_mode_toggles(chapter) == []


def test_a_copy_button_copies_its_cells_code(chapter):
    assert site.copy_button_copies(chapter) == []


@pytest.mark.parametrize("kind, width", [("primary", "desktop"), ("primary", "phone"),
                                         ("secondary", "phone")])
def test_the_navigation_toggles_open_and_close(server, browser, kind, width):
    context = browser.new_context(viewport=site.WIDTHS[width])
    page, _ = site.visit(context, server + "book/03_backpropagation.html", server)
    try:
        assert site.navigation_toggles(page, kind) == []
    finally:
        context.close()
