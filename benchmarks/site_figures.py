"""Measure the built site in Chromium (prints numbers; never a pass/fail test).

    .venv/bin/python benchmarks/site_figures.py [--site DIR] [--page book/10_convolutional_networks.html]

1. One page (chapter 10 by default) at desktop width, cold: bytes transferred,
   requests, time to the load event.
2. axe-core violations of every page of the table of contents at desktop and
   phone width, counted by severity.
3. The browser suite itself: pages x widths and its wall time are printed by
   pytest (``tests/test_site.py``).

``--site`` points at another build (an older checkout's ``_build/html``) for a
before/after comparison.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import site  # noqa: E402
from tests.test_built_book import toc_files  # noqa: E402


def page_weight(browser, base: str, name: str) -> tuple[int, int, float]:
    """``(bytes, requests, ms to the load event)`` of ``name``, loaded cold."""
    context = browser.new_context(viewport=site.WIDTHS["desktop"])
    page, record = site.visit(context, base + name, base, settle=False)
    load_ms = page.evaluate("() => { const t = performance.getEntriesByType('navigation')[0];"
                            " return t.loadEventStart - t.startTime; }")
    context.close()
    return record.bytes, len(record.requests), load_ms


def axe_by_severity(browser, base: str) -> collections.Counter:
    from axe_playwright_python.sync_playwright import Axe

    counts = collections.Counter()
    for width in site.WIDTHS:
        context = browser.new_context(viewport=site.WIDTHS[width])
        for name in toc_files():
            page, _ = site.visit(context, f"{base}{name}.html", base, settle=False)
            for violation in Axe().run(page).response["violations"]:
                counts[violation["impact"]] += len(violation["nodes"])
            page.close()
        context.close()
    return counts


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--page", default="book/10_convolutional_networks.html")
    args = parser.parse_args()
    with site.serve(args.site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=site.chromium_path())
        size, requests, load_ms = page_weight(browser, base, args.page)
        print(f"{args.page}: {size / 1e6:.2f} MB in {requests} requests, load event at {load_ms:.0f} ms")
        counts = axe_by_severity(browser, base)
        pages = len(toc_files()) * len(site.WIDTHS)
        print(f"axe violations (elements) over {pages} page views: "
              + ", ".join(f"{k} {counts.get(k, 0)}" for k in ("critical", "serious", "moderate", "minor")))
        browser.close()


if __name__ == "__main__":
    main()
