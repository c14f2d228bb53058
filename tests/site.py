"""The built site in a real browser: a local server, Chromium through Playwright, and the checks.

Each check takes a loaded Playwright page (and what was recorded while it
loaded) and returns a list of problems, one readable line each, so a test
asserts ``== []`` and prints what is wrong. ``tests/test_site_checks.py``
shows every check failing on a deliberately broken page; ``tests/test_site.py``
runs them on every page of the built book at desktop and phone width.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
from dlbook_downloads import chromium_path, serve  # noqa: E402, F401  (one server, one Chromium lookup)

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SERIOUS = ("serious", "critical")


@dataclass
class Visit:
    """What a page did while it loaded: console errors, page errors, requests."""

    origin: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    bytes: int = 0

    def watch(self, page) -> None:
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"javascript: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", self._count)

    def _count(self, response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")
        try:
            self.bytes += len(response.body())
        except Exception:  # a redirect or an aborted request has no body
            pass


def visit(context, url: str, origin: str, settle: bool = True):
    """Open ``url`` in a new page of ``context`` and wait until it is still; ``(page, visit)``.

    With ``settle`` false a page whose network never goes idle is measured as it is after
    30 s (the benchmark's older builds) instead of failing."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = context.new_page()
    record = Visit(origin)
    record.watch(page)
    page.goto(url, wait_until="load")
    try:
        page.wait_for_load_state("networkidle")
    except PlaywrightTimeout:
        if settle:
            raise
    # MathJax 3 resolves startup.promise once the first typesetting is done
    page.evaluate("async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                  " await MathJax.startup.promise; }")
    return page, record


# ---------------------------------------------------------------------------
# the checks: each returns a list of problems


def script_errors(record: Visit) -> list[str]:
    return list(record.errors)


def foreign_requests(record: Visit) -> list[str]:
    return [f"request to another host: {url}" for url in record.requests
            if not url.startswith((record.origin, "data:", "blob:"))]


def broken_images(page) -> list[str]:
    return page.evaluate("""() => [...document.images]
        .filter(img => img.complete && img.naturalWidth === 0 && img.offsetParent !== null)
        .map(img => `image does not load: ${img.getAttribute('src')}`)""")


def bad_alt_text(page) -> list[str]:
    return page.evaluate(r"""() => [...document.images]
        .filter(img => img.offsetParent !== null && !img.closest('[aria-hidden="true"]'))
        .filter(img => { const alt = (img.getAttribute('alt') || '').trim();
                         return alt.length < 3 || /(^|\/)[^\s\/]+\.(png|jpe?g|svg|gif)$/i.test(alt)
                                || alt.includes('_images/'); })
        .map(img => `image without a meaningful alt text: ${img.getAttribute('src')} `
                  + `(alt=${JSON.stringify(img.getAttribute('alt'))})`)""")


def untypeset_math(page) -> list[str]:
    """Raw LaTeX left in the text (hidden solutions included: a reader opens them, and the
    PDF prints them) and MathJax errors."""
    return page.evaluate(r"""() => {
        const main = document.querySelector('main') || document.body;
        const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
        const found = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const parent = node.parentElement;
            if (!parent || parent.closest('pre, code, script, style, mjx-container, .highlight,'
                                          + ' .output, .cell_output')) continue;
            const text = node.textContent;
            if (/\$[^$\s][^$]*\$|\\[a-zA-Z]{2,}/.test(text))  // prose has no \commands
                found.push(`raw LaTeX in the text: ${JSON.stringify(text.trim().slice(0, 80))}`);
        }
        for (const error of document.querySelectorAll('mjx-merror, .MathJax_Error'))
            found.push(`MathJax error: ${JSON.stringify(error.textContent.slice(0, 80))}`);
        return found;
    }""")


def clipped_equations(page) -> list[str]:
    """Display equations wider than the space they have that do not scroll, or scroll with
    nothing to show it: no scrollbar (phones and many laptops hide them) and no shadow cue."""
    return page.evaluate("""() => [...document.querySelectorAll('mjx-container[display="true"]')]
        .filter(eq => eq.offsetParent !== null)
        .map(eq => {
            const needed = (eq.firstElementChild || eq).getBoundingClientRect().width;
            for (let box = eq; box && box !== document.body; box = box.parentElement) {
                const style = getComputedStyle(box);
                if (style.overflowX !== 'auto' && style.overflowX !== 'scroll') continue;
                if (box.scrollWidth <= box.clientWidth) break;
                const scrollbar = box.offsetHeight - box.clientHeight
                                  - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
                return scrollbar > 0 || style.backgroundImage.includes('gradient') ? null
                    : `display equation scrolls with nothing to show it: ${Math.round(needed)} px `
                      + `in ${Math.round(box.clientWidth)} px`;
            }
            return needed > eq.getBoundingClientRect().width + 1
                ? `display equation clipped: ${Math.round(needed)} px `
                  + `in ${Math.round(eq.getBoundingClientRect().width)} px` : null;
        })
        .filter(problem => problem)""")


def printed_equations_cut(page) -> list[str]:
    """Printed (media print, after dlbook.js has fitted them), equations wider than the page."""
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    found = page.evaluate("""() => [...document.querySelectorAll('mjx-container[display="true"]')]
        .filter(eq => (eq.firstElementChild || eq).getBoundingClientRect().width
                      > eq.clientWidth + 1)
        .map(eq => `printed equation cut: ${Math.round((eq.firstElementChild || eq)
                    .getBoundingClientRect().width)} px in ${eq.clientWidth} px`)""")
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    return found


def small_figure_text(page, font_pt: float, dpi: float, min_px: float) -> list[str]:
    """Figures shown so small that text of ``font_pt`` points, drawn at ``dpi``, is under
    ``min_px`` CSS pixels high (dlbook.plotting keeps every figure's text at ``font_pt`` or more)."""
    return page.evaluate("""([natural, least]) => [...document.querySelectorAll('figure img')]
        .filter(img => img.offsetParent !== null && img.naturalWidth > 0)
        .map(img => [img, natural * img.clientWidth / img.naturalWidth])
        .filter(([img, px]) => px < least)
        .map(([img, px]) => `figure text ${px.toFixed(1)} px high: ${img.getAttribute('src')} `
                            + `(${img.naturalWidth} px shown ${img.clientWidth} px wide)`)""",
                         [font_pt * dpi / 72, min_px])


def page_overflow(page) -> list[str]:
    content, view = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    return [f"the page scrolls sideways: {content} px of content in {view} px"] if content > view else []


def accessibility(page) -> list[str]:
    """axe-core's serious and critical violations, one line per rule."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"axe {v['impact']}: {v['id']} ({len(v['nodes'])} elements): {v['help']}"
            for v in results.response["violations"] if v["impact"] in SERIOUS]


# ---------------------------------------------------------------------------
# what a reader does: each returns a list of problems


def search_finds(page, base: str, query: str, expected: str, within: int = 5) -> list[str]:
    """The search page lists a page whose address contains ``expected`` among its first results."""
    page.goto(f"{base}search.html?q={query.replace(' ', '+')}", wait_until="load")
    page.wait_for_selector("#search-results li a", timeout=20000)
    links = page.eval_on_selector_all("#search-results li a", "links => links.map(a => a.href)")
    if not any(expected in link for link in links[:within]):
        return [f"search for {query!r}: {expected} is not among the first {within} of {links[:within]}"]
    return []


def dropdown_opens(page) -> list[str]:
    """The first solution is hidden, and shown after a click on its toggle (sphinx-togglebutton)."""
    solution = page.locator("div.solution.dropdown").first
    if solution.count() == 0:
        return ["no solution dropdown on the page"]
    if "toggle-hidden" not in (solution.get_attribute("class") or ""):
        return ["the solution is shown before any click"]
    button = solution.locator("button.toggle-button").first
    button.scroll_into_view_if_needed()
    button.click()
    page.wait_for_timeout(300)
    if "toggle-hidden" in (solution.get_attribute("class") or ""):
        return ["a click on the solution's toggle did not show it"]
    return []


def sliders_move_figures(page) -> list[str]:
    """Every moving figure (dlbook.interactive) is drawn, its still image hidden, and each of
    its sliders, moved to its far end, changes what the plot shows."""
    figures = page.locator(".dlbook-moving-figure")
    if figures.count() == 0:
        return ["no moving figure on the page"]
    problems = []
    for i in range(figures.count()):
        figure = figures.nth(i)
        name = figure.get_attribute("id")
        figure.scroll_into_view_if_needed()
        if not _frame_drawn(figure, _slider_key(figure)):
            problems.append(f"{name}: the plot was not drawn")
            continue
        if figure.locator(".dlbook-still").is_visible():
            problems.append(f"{name}: the still image shows beside the plot")
        sliders = figure.locator(".dlbook-controls input[type=range]")
        for j in range(sliders.count()):
            slider = sliders.nth(j)
            before = _drawn(figure)
            end = slider.get_attribute("max") if slider.input_value() == "0" else "0"
            slider.fill(end)  # a range input takes fill(); it fires the input event
            if not _frame_drawn(figure, _slider_key(figure)):
                problems.append(f"{name}: moving slider {j} to {end} drew nothing")
            elif _drawn(figure) == before:
                problems.append(f"{name}: moving slider {j} to {end} did not change the plot")
            shown = slider.evaluate("input => input.nextElementSibling.value")
            if shown != slider.evaluate("input => JSON.parse(input.dataset.values)[input.value]"):
                problems.append(f"{name}: slider {j} shows {shown!r}, not its value")
    return problems


def moving_figures_print_still(page) -> list[str]:
    """Printed, every moving figure shows its still image and neither the plot nor the sliders."""
    page.emulate_media(media="print")
    try:
        problems = []
        for figure in page.locator(".dlbook-moving-figure").all():
            name = figure.get_attribute("id")
            if not figure.locator(".dlbook-still").is_visible():
                problems.append(f"{name}: the printed page has no still image")
            if figure.locator(".dlbook-plot").is_visible() or figure.locator(".dlbook-controls").is_visible():
                problems.append(f"{name}: the printed page shows the live plot or its sliders")
        return problems
    finally:
        page.emulate_media(media="screen")


def _slider_key(figure) -> str:
    return "|".join(figure.locator(".dlbook-controls input").evaluate_all(
        "inputs => inputs.map(input => input.value)"))


def _frame_drawn(figure, key: str, timeout_ms: int = 5000) -> bool:
    """Whether the page's script reports the frame ``key`` drawn (dlbook.js sets data-frame)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        figure.page.wait_for_function("([box, key]) => box.dataset.frame === key",
                                      arg=[figure.element_handle(), key], timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return figure.locator(".dlbook-plot .main-svg").count() > 0


def _drawn(figure) -> str:
    """What a plotly plot shows: its traces' paths and text."""
    return figure.locator(".dlbook-plot").evaluate(
        "plot => [...plot.querySelectorAll('.main-svg path, .main-svg text')]"
        ".map(node => node.getAttribute('d') || node.textContent).join('|')")


def dark_mode_toggles(page) -> list[str]:
    """The theme button switches the page between light and dark."""
    before = page.evaluate("() => document.documentElement.dataset.theme")
    page.locator(".theme-switch-button").first.click()
    page.wait_for_timeout(200)
    after = page.evaluate("() => document.documentElement.dataset.theme")
    page.locator(".theme-switch-button").first.click()
    return [] if before != after else [f"the theme button left the theme at {before!r}"]


def copy_button_copies(page) -> list[str]:
    """The copy button of the first code cell puts that cell's code on the clipboard."""
    cell = page.locator("div.cell_input, div.highlight").first
    cell.scroll_into_view_if_needed()
    cell.hover()
    code = cell.locator("pre").first.inner_text()
    page.evaluate("() => navigator.clipboard.writeText('nothing copied yet')")
    cell.locator("button.copybtn").first.click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    return [] if copied.strip() == code.strip() else [f"the copy button copied {copied[:60]!r}"]


def navigation_toggles(page, kind: str) -> list[str]:
    """The visible ``primary`` (chapters) or ``secondary`` (this page's contents) toggle opens
    the navigation and it closes again: on a wide screen the sidebar hides and comes back; on
    a narrow one it opens as a dialog, which Escape closes."""
    toggle = page.locator(f".{kind}-toggle:visible").first
    if toggle.count() == 0:
        return [f"no visible {kind} toggle"]
    sidebar, dialog = page.locator(f"#pst-{kind}-sidebar"), page.locator(f"#pst-{kind}-sidebar-modal")

    def state():
        if dialog.count() and dialog.evaluate("d => d.open"):
            return "dialog"
        return "shown" if sidebar.is_visible() and sidebar.bounding_box()["width"] > 0 else "hidden"

    before = state()
    toggle.click()
    page.wait_for_timeout(400)
    opened = state()
    if opened == before:
        return [f"the {kind} toggle did nothing (the sidebar stayed {before})"]
    if opened == "dialog":
        page.keyboard.press("Escape")
    else:
        toggle.click()
    page.wait_for_timeout(400)
    return [] if state() == before else [f"the {kind} navigation did not close again ({state()})"]
