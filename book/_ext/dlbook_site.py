"""What the published site needs beyond the theme's defaults, each with the reason.

- Every figure's image reads its caption to a screen reader: myst-nb writes a
  glued figure's file path as its alt text.
- A script is included once: sphinx-thebe (0.3.1) adds its configuration script
  at ``env-before-read-docs``, and Sphinx 7.4 registers it both with the builder
  and through the registry (as ``None`` and as ``""``), so every page declared
  ``THEBE_JS_URL`` twice, a JavaScript error (no upstream issue found).
- The theme starts in ``auto`` mode: with no ``default_mode`` in ``html_context``
  pydata-sphinx-theme (0.17) logs "Got invalid theme mode" on a reader's first visit.
- The bibliography is a plain list of citations: docutils' HTML writer (0.21)
  wraps them in ``role="list"`` with items of the DPUB role ``doc-biblioentry``,
  deprecated in ARIA 1.3 and not a list item, which axe reports as critical.
- ``dlbook.js``: the sidebar and "Contents" toggles work. Both themes bind their
  click handlers to the first ``.primary-toggle`` of a page, a hidden one; the
  visible toggle passes its clicks on to it (upstream: pydata-sphinx-theme#2451,
  sphinx-book-theme#935).
- ``dlbook.css``: long inline code wraps and wide equations scroll (on a phone
  neither may push the page sideways).
- A glued table is a table: ``{glue:table}`` is myst-nb's ``{glue:figure}`` whose
  caption is numbered and referenced as "Table 13.1", not "Fig. 13.2".
- A figure a reader can move (``dlbook.interactive``) needs plotly's JavaScript: the
  copy in the plotly package is served from ``_static`` and loaded, deferred, only by
  the pages that have such a figure (4.8 MB; the other pages stay light).
- A link to the published book in an output (the grader's feedback links to the
  section to read) leads to the same page of the copy being read: the HTML of the
  local build, not the web.
"""

import importlib.util
import posixpath
import re
import shutil
from pathlib import Path

from docutils import nodes
from myst_nb.ext.glue.directives import PasteFigureDirective

STATIC = Path(__file__).resolve().parents[1] / "_static"


def caption_as_alt_text(app, doctree, docname):
    for figure in doctree.findall(nodes.figure):
        caption = next(iter(figure.findall(nodes.caption)), None)
        if caption is None:
            continue
        for image in figure.findall(nodes.image):
            alt = image.get("alt", "")
            if not alt or alt == image.get("uri") or "_images/" in alt or alt.endswith(".png"):
                image["alt"] = " ".join(caption.astext().split())


def each_script_once(app, pagename, templatename, context, doctree):
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        key = (getattr(script, "filename", script) or "",
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    context["script_files"] = scripts


def citations_without_list_roles(app, pagename, templatename, context, doctree):
    body = context.get("body", "")
    context["body"] = body.replace('<div role="list" class="citation-list">',
                                   '<div class="citation-list">').replace(' role="doc-biblioentry"', "")


class GluedTable(nodes.figure):
    """A glued table: a figure node that Sphinx numbers as a table."""


class PasteTableDirective(PasteFigureDirective):
    """``{glue:table} name``: the glued output (a DataFrame) with a numbered table caption
    above it."""

    def run(self):
        result = super().run()
        for index, node in enumerate(result):
            if type(node) is nodes.figure:
                table = GluedTable(node.rawsource, *node.children, **node.attributes)
                captions = [child for child in table.children if isinstance(child, nodes.caption)]
                for caption in captions:  # a table's caption reads before it
                    table.remove(caption)
                    table.insert(0, caption)
                for name in table["ids"]:  # the label points at the table, not the figure
                    self.state.document.ids[name] = table
                result[index] = table
        return result


def caption_text(node):
    return next(iter(node.findall(nodes.caption))).astext()


def visit_glued_table(translator, node):
    translator.visit_figure(node)


def depart_glued_table(translator, node):
    translator.depart_figure(node)


def local_links(app, pagename, templatename, context, doctree):
    """``href="<html_baseurl>page.html#a"`` in the body becomes a link relative to the page."""
    base = app.config.html_baseurl
    if not base or "body" not in context:
        return
    here = posixpath.dirname(pagename)

    def relative(match):
        target = match.group(2)
        path, hash_, anchor = target.partition("#")
        return f"{match.group(1)}{posixpath.relpath(path or 'index.html', here or '.')}{hash_}{anchor}"

    pattern = re.compile(r"""(href=["'])""" + re.escape(base) + r"""([^"']*)""")
    context["body"] = pattern.sub(relative, context["body"])


PLOTLY_JS = "plotly.min.js"


def plotly_where_a_figure_moves(app, pagename, templatename, context, doctree):
    if "dlbook-moving-figure" in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, loading_method="defer", priority=400)  # before dlbook.js


def plotly_js() -> Path:
    """The plotly.js that the plotly package carries (the version it writes figures for)."""
    return Path(importlib.util.find_spec("plotly").origin).parent / "package_data" / PLOTLY_JS


def copy_plotly(app, exception):
    if exception is None and app.builder.format == "html":
        shutil.copyfile(plotly_js(), Path(app.outdir) / "_static" / PLOTLY_JS)


def start_in_auto_mode(app, config):
    config.html_context.setdefault("default_mode", "auto")  # read by the theme's layout.html
    config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("config-inited", start_in_auto_mode)
    app.connect("doctree-resolved", caption_as_alt_text)
    app.connect("html-page-context", plotly_where_a_figure_moves)  # before the scripts are deduplicated
    app.connect("html-page-context", each_script_once)
    app.connect("html-page-context", citations_without_list_roles)
    app.connect("html-page-context", local_links)
    app.connect("build-finished", copy_plotly, priority=100)  # before the PDFs are printed
    app.add_enumerable_node(GluedTable, "table", caption_text,
                            html=(visit_glued_table, depart_glued_table))
    app.add_directive_to_domain("glue", "table", PasteTableDirective)
    app.add_css_file("dlbook.css")
    app.add_js_file("dlbook.js")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
