"""The download menu of every page: the executed notebook and real PDFs.

- ``.ipynb``: the chapter as it ran in this build, every output in place. myst-nb
  moves glued values out of the notebook it writes, so its notebook has neither the
  figures nor the tables; here the executed notebook comes from the execution cache,
  each glued figure and table becomes an ordinary output of the cell that made it,
  and the numbers the prose quotes (``{glue:text}``) are written into the text.
- ``.pdf``: the theme's button only opens the browser's print dialog. The build
  prints every page with Chromium (its print-to-PDF, after MathJax has typeset
  it) to ``_pdf/<page>.pdf`` and joins them, in the table of contents' order, into
  ``_pdf/book.pdf`` with one bookmark per page; the menu links to both.
"""

from __future__ import annotations

import copy
import functools
import html
import http.server
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import nbformat
from sphinx.util import logging

logger = logging.getLogger(__name__)

GLUE_PREFIX = "application/papermill.record/"
PDF_FOLDER = "_pdf"
BOOK_PDF = "book.pdf"
GLUE_ROLE = re.compile(r"\{glue(?::text|:md|:any|:)?\}`([^`]+)`")
GLUE_BLOCK = re.compile(r"```\{glue:(?:figure|table)\}[^\n]*\n((?::[^\n]*\n)*)\n?(.*?)\n```", re.S)


# ---------------------------------------------------------------------------
# the notebook


def executed_notebook(app, docname: str):
    """The notebook of ``docname`` with the outputs the build executed (from the cache)."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    path = Path(app.env.doc2path(docname))
    text = path.read_text(encoding="utf8")
    reader = create_nb_reader(str(path), app.env.myst_config, app.env.mystnb_config, text)
    if reader is None:
        return None
    notebook = reader.read(text)
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        _, notebook = cache.merge_match_into_notebook(notebook)
    except KeyError:
        return None  # not executed through the cache (a page without code)
    return notebook


def glued_as_outputs(notebook) -> dict:
    """Turn each glued figure or table into an output of its cell; return every glued
    value's data by name (for the text)."""
    glued = {}
    for cell in notebook.cells:
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if not any(key.startswith(GLUE_PREFIX) for key in data):
                outputs.append(output)
                continue
            plain = {key[len(GLUE_PREFIX):]: value for key, value in data.items()}
            glued[output["metadata"]["scrapbook"]["name"]] = plain
            if set(plain) - {"text/plain", "text/markdown"}:  # a figure or a table
                shown = copy.deepcopy(output)
                shown["data"] = plain
                shown["metadata"] = {key: value for key, value in output["metadata"].items()
                                     if key != "scrapbook"}
                shown["output_type"] = "display_data"
                shown.pop("execution_count", None)
                outputs.append(shown)
        if cell.cell_type == "code":
            cell["outputs"] = outputs
    return glued


def quoted_in_text(notebook, glued: dict) -> None:
    """Write the glued numbers into the markdown, and a glued figure's or table's block
    as its caption (the figure itself is now the output of its cell)."""
    from myst_nb.core.variables import format_plain_text

    def value(match):
        name, _, spec = match.group(1).partition(":")
        data = glued.get(name)
        if data is None:
            return match.group(0)
        if "text/markdown" in data:
            return data["text/markdown"]
        return format_plain_text(data["text/plain"], spec or "s")

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text = GLUE_BLOCK.sub(lambda m: f"*{m.group(2).strip()}*", cell.source)
            cell.source = GLUE_ROLE.sub(value, text)


def write_notebooks(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for docname in sorted(app.env.found_docs):
        notebook = executed_notebook(app, docname)
        if notebook is None:
            continue
        quoted_in_text(notebook, glued_as_outputs(notebook))
        target = Path(app.outdir, "_sources", docname + ".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)


# ---------------------------------------------------------------------------
# the PDFs


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # a request line per file would bury the build's log
        pass


@contextmanager
def serve(folder: Path):
    """Serve ``folder`` on 127.0.0.1 at a free port; yields the base URL (the PDFs here,
    the browser tests in tests/site.py)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def pdf_pages(env, root: str) -> list[str]:
    """Every page of the table of contents, in reading order."""
    order, stack = [], [root]
    while stack:
        doc = stack.pop(0)
        if doc in order or doc not in env.found_docs:
            continue
        order.append(doc)
        stack[0:0] = env.toctree_includes.get(doc, [])
    return order


def chromium_path() -> str:
    """The distribution's Chromium (Debian package ``chromium``): no browser download is possible."""
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    raise RuntimeError("the book's PDFs are printed with Chromium, which is not installed: "
                       "apt-get install chromium (python3 dev.py book installs it)")


def print_page(browser, url: str, target: Path, title: str) -> None:
    """Print one page to ``target`` as a reader would, once MathJax has typeset it."""
    page = browser.new_page()
    page.goto(url, wait_until="networkidle")
    page.evaluate("async () => { if (window.MathJax && MathJax.startup && MathJax.startup.promise)"
                  " await MathJax.startup.promise; }")
    page.emulate_media(media="print")
    page.evaluate("() => window.dlbookFitEquations && dlbookFitEquations()")  # dlbook.js
    footer = ('<div style="font-size:9px;width:100%;text-align:center;color:#555">'
              f'{title} · <span class="pageNumber"></span>/<span class="totalPages"></span></div>')
    page.pdf(path=str(target), format="A4", print_background=True, display_header_footer=True,
             header_template="<span></span>", footer_template=footer,
             margin={"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"})
    page.close()


def write_pdfs(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from playwright.sync_api import sync_playwright
    from pypdf import PdfWriter

    out = Path(app.outdir)
    folder = out / PDF_FOLDER
    pages = pdf_pages(app.env, app.config.root_doc)
    stale = [doc for doc in pages if not _fresh(folder / f"{doc}.pdf", out / f"{doc}.html")]
    if stale:
        logger.info(f"printing {len(stale)} page(s) to PDF with Chromium ...")
        with serve(out) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path())
            for doc in stale:
                target = folder / f"{doc}.pdf"
                target.parent.mkdir(parents=True, exist_ok=True)
                print_page(browser, f"{base}{doc}.html", target,
                           html.escape(app.env.titles[doc].astext()))
            browser.close()
    book = folder / BOOK_PDF
    if stale or not book.exists():
        writer = PdfWriter()
        for doc in pages:
            writer.append(str(folder / f"{doc}.pdf"), outline_item=app.env.titles[doc].astext())
        writer.add_metadata({"/Title": app.config.html_title or app.config.project})
        with book.open("wb") as file:
            writer.write(file)


def _fresh(pdf: Path, html: Path) -> bool:
    return pdf.exists() and pdf.stat().st_mtime >= html.stat().st_mtime


# ---------------------------------------------------------------------------
# the menu


def download_menu(app, pagename, templatename, context, doctree):
    """The theme's download group: its print button becomes links to this page's PDF and
    the whole book's."""
    pathto = context["pathto"]
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group["buttons"] if b.get("label") != "download-pdf-button"]
        buttons.append({"type": "link", "url": pathto(f"{PDF_FOLDER}/{pagename}.pdf", 1),
                        "text": ".pdf", "tooltip": "This page as a PDF",
                        "icon": "fas fa-file-pdf", "label": "download-pdf-button"})
        buttons.append({"type": "link", "url": pathto(f"{PDF_FOLDER}/{BOOK_PDF}", 1),
                        "text": "book .pdf", "tooltip": "The whole book as one PDF",
                        "icon": "fas fa-book", "label": "download-book-pdf-button"})
        group["buttons"] = buttons


def setup(app):
    app.connect("html-page-context", download_menu, priority=600)  # after the theme's (501)
    app.connect("build-finished", write_notebooks)
    app.connect("build-finished", write_pdfs, priority=600)  # once the pages are written
    return {"parallel_read_safe": True, "parallel_write_safe": True}
