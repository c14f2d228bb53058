"""Each check of the browser suite (tests/site.py) fails on a page broken on purpose.

The pages are small HTML files served from a temporary folder, opened in the same
Chromium the suite uses; a well-formed page passes every check.
"""

from pathlib import Path

import pytest

from dlbook import plotting
from tests import site

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

GOOD = """<!doctype html><html lang="en"><head><title>Good</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><script src="dlbook.js"></script></head>
<body><main><h1>A page</h1><p>Plain text.</p>
<div style="width:100px"><mjx-container display="true" style="display:block;overflow-x:auto;
background-image:linear-gradient(to left, grey, white)"><mjx-math
style="display:inline-block;width:25em">x</mjx-math></mjx-container></div>
<figure><img src="plot.svg" alt="Loss against epochs" width="200" height="100">
<figcaption>Loss against epochs</figcaption></figure></main></body></html>"""
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
       '<rect width="200" height="100"/></svg>')
DLBOOK_JS = ROOT / "book" / "_static" / "dlbook.js"
FIGURE_TEXT = (plotting.FONT_PT, plotting.DPI, plotting.MIN_TEXT_PX)

BROKEN = [  # the check, and the change to the good page that it must catch
    ("script_errors", "<p>Plain text.</p>", "<p>Plain text.</p><script>let a; let a;</script>"),
    ("foreign_requests", "<p>Plain text.</p>",
     '<p>Plain text.</p><img src="http://example.invalid/x.png" alt="An example">'),
    ("broken_images", 'src="plot.svg"', 'src="missing.png"'),
    ("bad_alt_text", 'alt="Loss against epochs"', 'alt="../_images/0f3a.png"'),
    ("untypeset_math", "<p>Plain text.</p>", r"<p>Raw $\mathbf{h}_t = 1$ left.</p>"),
    ("untypeset_math", "<p>Plain text.</p>",  # a list item cut out of a formula, hidden
     r'<p hidden>gives $\lfloor (128 + 2 - 3)/2 \rfloor</p>'),
    ("clipped_equations", "overflow-x:auto", "overflow:hidden"),
    ("clipped_equations", "background-image:linear-gradient(to left, grey, white)", ""),
    ("printed_equations_cut", '<script src="dlbook.js"></script>', ""),
    ("small_figure_text", 'width="200" height="100"', 'style="width:60px"'),
    ("page_overflow", "<p>Plain text.</p>", '<p><code style="white-space:nowrap">'
     + "keras.applications.MobileNetV2(include_top=False)" * 3 + "</code></p>"),
    ("accessibility", '<html lang="en">', "<html>"),
]


def problems(browser, folder, html, check):
    (folder / "index.html").write_text(html)
    (folder / "plot.svg").write_text(SVG)
    (folder / "dlbook.js").write_text(DLBOOK_JS.read_text())
    with site.serve(folder) as base:
        context = browser.new_context(viewport=site.WIDTHS["phone"])
        page, record = site.visit(context, base + "index.html", base)
        arguments = FIGURE_TEXT if check == "small_figure_text" else ()
        found = getattr(site, check)(record if check in ("script_errors", "foreign_requests") else page,
                                     *arguments)
        context.close()
    return found


@pytest.mark.parametrize("check, old, new", BROKEN)
def test_the_good_page_passes_and_the_broken_one_fails(browser, tmp_path, check, old, new):
    assert old in GOOD
    assert problems(browser, tmp_path, GOOD, check) == []
    found = problems(browser, tmp_path, GOOD.replace(old, new, 1), check)
    assert found, f"{check} did not notice: {new}"


# what a reader does: a page that works, and the same page with the behaviour removed
PAGE = """<!doctype html><html lang="en" data-theme="light"><head><title>T</title>
<link rel="icon" href="data:,"></head><body>{body}<script>{script}</script></body></html>"""
INTERACTIONS = {
    "dropdown_opens": (
        '<div class="solution dropdown toggle toggle-hidden"><p>Solution '
        '<button class="toggle-button">show</button></p><p>42</p></div>',
        "document.querySelector('.toggle-button').onclick = () => document.querySelector"
        "('.solution').classList.remove('toggle-hidden');"),
    "dark_mode_toggles": (
        '<button class="theme-switch-button">theme</button>',
        "document.querySelector('.theme-switch-button').onclick = () => { const h = "
        "document.documentElement; h.dataset.theme = h.dataset.theme === 'dark' ? 'light' : 'dark'; };"),
    "copy_button_copies": (
        '<div class="highlight"><pre>x = 1</pre><button class="copybtn">copy</button></div>',
        "document.querySelector('.copybtn').onclick = () => navigator.clipboard.writeText("
        "document.querySelector('pre').innerText);"),
    "navigation_toggles": (
        '<button class="primary-toggle">menu</button><nav id="pst-primary-sidebar">Chapters</nav>',
        "document.querySelector('.primary-toggle').onclick = () => { const s = document."
        "getElementById('pst-primary-sidebar'); s.hidden = !s.hidden; };"),
}


def interact(browser, folder, check, body, script):
    (folder / "index.html").write_text(PAGE.format(body=body, script=script))
    with site.serve(folder) as base:
        context = browser.new_context(viewport=site.WIDTHS["desktop"],
                                      permissions=["clipboard-read", "clipboard-write"])
        page, _ = site.visit(context, base + "index.html", base)
        arguments = ("primary",) if check == "navigation_toggles" else ()
        found = getattr(site, check)(page, *arguments)
        context.close()
    return found


@pytest.mark.parametrize("check", sorted(INTERACTIONS))
def test_a_working_control_passes_and_a_dead_one_fails(browser, tmp_path, check):
    body, script = INTERACTIONS[check]
    assert interact(browser, tmp_path, check, body, script) == []
    assert interact(browser, tmp_path, check, body, "") != []


def test_search_fails_when_the_expected_page_is_not_among_the_first_results(browser, tmp_path):
    results = "".join(f'<li><a href="book/{n}.html">{n}</a></li>' for n in ("a", "b", "target"))
    (tmp_path / "search.html").write_text(PAGE.format(
        body=f'<ul id="search-results">{results}</ul>', script=""))
    with site.serve(tmp_path) as base:
        context = browser.new_context()
        page = context.new_page()
        assert site.search_finds(page, base, "anything", "target", within=3) == []
        assert site.search_finds(page, base, "anything", "target", within=2) != []
        context.close()


def moving_figure(frames_differ: bool):
    """A one-slider figure whose frames move a line, or all draw the same line."""
    from dlbook import interactive

    return interactive.MovingFigure(
        "test-figure", [interactive.Panel("x", "y")],
        [interactive.Slider("slope", "slope", [1.0, 2.0, 3.0])],
        lambda slope: [interactive.Line([0, 1], [0, slope if frames_differ else 1.0])],
        alt="A line whose slope the slider sets")


@pytest.mark.parametrize("frames_differ, with_plotly, expected", [
    (True, True, None),
    (False, True, "did not change the plot"),
    (True, False, "the plot was not drawn"),
])
def test_the_slider_check_passes_a_moving_figure_only(browser, tmp_path, frames_differ, with_plotly,
                                                      expected):
    from dlbook_site import plotly_js

    (tmp_path / "dlbook.js").write_text(DLBOOK_JS.read_text())
    (tmp_path / "dlbook.css").write_text(DLBOOK_JS.with_suffix(".css").read_text())
    (tmp_path / "plotly.min.js").write_bytes(plotly_js().read_bytes())
    plotly = '<script defer src="plotly.min.js"></script>' if with_plotly else ""
    scripts = plotly + '<script src="dlbook.js"></script><link rel="stylesheet" href="dlbook.css">'
    (tmp_path / "index.html").write_text(PAGE.format(
        body=scripts + moving_figure(frames_differ).html(), script=""))
    with site.serve(tmp_path) as base:
        context = browser.new_context(viewport=site.WIDTHS["phone"])
        page, record = site.visit(context, base + "index.html", base)
        found = site.sliders_move_figures(page) + site.script_errors(record)
        printed = site.moving_figures_print_still(page)
        page.evaluate("document.querySelector('link[href=\"dlbook.css\"]').remove()")
        printed_without_css = site.moving_figures_print_still(page)  # no print rules: the plot prints
        context.close()
    if expected is None:
        assert found == [] and printed == []
        assert printed_without_css == ["test-figure: the printed page shows the live plot or its sliders"]
    else:
        assert len(found) == 1 and expected in found[0], found
