"""Checks of the built HTML book (run by ``dev.py test`` right after the build)."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
EXECUTED = ROOT / "_build" / "jupyter_execute"
pytestmark = pytest.mark.book


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc["parts"]:
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


def chapters():
    return [f for f in toc_files() if re.search(r"/\d\d_", f)]


@pytest.fixture(scope="module", autouse=True)
def built():
    if not (HTML / "index.html").exists():
        pytest.fail("no built book in _build/html: run `python3 dev.py book` first")


@pytest.mark.parametrize("page", toc_files())
def test_every_page_of_the_toc_is_built(page):
    assert (HTML / f"{page}.html").is_file()


@pytest.mark.parametrize("page", toc_files())
def test_mathjax_is_served_from_the_site_not_a_cdn(page):
    html = (HTML / f"{page}.html").read_text()
    assert not re.search(r"https?://[^\"']*mathjax", html, re.I), f"{page} loads MathJax remotely"
    for script in re.findall(r"src=\"([^\"]*mathjax[^\"]*)\"", html):
        # an incremental build adds Sphinx's "?v=<checksum>" to the file name
        assert (HTML / Path(page).parent / script.split("?")[0]).resolve().is_file(), script


MOVING = {"book/02_gradient_descent": 1, "book/06_optimizers": 1, "book/07_schedules": 1,
          "book/10_convolutional_networks": 1}  # issue 13: the figures a reader moves


@pytest.mark.parametrize("page", toc_files())
def test_plotly_is_served_from_the_site_and_only_where_a_figure_moves(page):
    html = (HTML / f"{page}.html").read_text()
    assert html.count('class="dlbook-moving-figure"') == MOVING.get(page, 0)
    scripts = re.findall(r"<script[^>]*src=\"([^\"]*plotly[^\"]*)\"", html)
    if page not in MOVING:
        assert scripts == []
        return
    assert len(scripts) == 1 and not scripts[0].startswith("http"), scripts
    plotly = (HTML / Path(page).parent / scripts[0].split("?")[0]).resolve()
    assert plotly.is_file() and plotly.stat().st_size > 1_000_000, plotly


@pytest.mark.parametrize("chapter", chapters())
def test_each_chapter_downloads_as_a_notebook(chapter):
    notebook = HTML / "_sources" / f"{chapter}.ipynb"
    assert notebook.is_file()
    assert json.loads(notebook.read_text())["cells"], f"{notebook} has no cells"
    assert f"{Path(chapter).name}.ipynb" in (HTML / f"{chapter}.html").read_text()


@pytest.mark.parametrize("chapter", chapters())
def test_launch_buttons_open_the_chapters_notebook_in_the_configured_repository(chapter):
    """Colab opens only .ipynb files, and Binder opens an .md as text: both buttons must name
    the chapter's notebook twin, a file the repository has at that path."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    slug = config["repository"]["url"].removeprefix("https://github.com/")
    branch = config["repository"]["branch"]
    html = (HTML / f"{chapter}.html").read_text()
    colab = re.findall(r'href="https://colab\.research\.google\.com/github/([^"]+)"', html)
    binder = re.findall(r'href="https://mybinder\.org/v2/gh/([^"]+)"', html)
    assert colab == [f"{slug}/blob/{branch}/{chapter}.ipynb"]
    assert binder == [f"{slug}/{branch}?urlpath=lab/tree/{chapter}.ipynb"]
    assert (ROOT / f"{chapter}.ipynb").is_file()


@pytest.mark.parametrize("chapter", chapters())
def test_each_chapter_names_its_running_time_under_its_title(chapter):
    html = (HTML / f"{chapter}.html").read_text()
    assert re.search(r"Running time: .{0,200}?(under a minute|\d+ minutes?)</span>.{0,40}on a "
                     r"two-core CPU in the quick profile", html, flags=re.S), chapter


@pytest.mark.parametrize("chapter", chapters())
def test_executed_chapters_have_no_errors_or_stderr(chapter):
    notebook = json.loads((EXECUTED / f"{chapter}.ipynb").read_text())
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{chapter}: {output.get('ename')}"
            assert output.get("name") != "stderr", f"{chapter}: {output.get('text')}"


@pytest.mark.parametrize("chapter", [c for c in chapters() if not c.endswith("00_preface")])
def test_each_chapter_has_exercises_with_hidden_solutions_and_glued_numbers(chapter):
    html = (HTML / f"{chapter}.html").read_text()
    source = (ROOT / f"{chapter}.md").read_text()
    assert html.count('class="exercise admonition') >= 3
    assert 'class="solution dropdown admonition' in html
    assert "{glue" in source, f"{chapter} quotes no result through glue"
    assert "{glue" not in html, f"{chapter} has an unresolved glue role"


@pytest.mark.parametrize("chapter", [c for c in chapters() if not c.endswith("00_preface")])
def test_each_chapter_lists_its_graded_exercises_and_how_to_check_them(chapter):
    from dlbook.grading import registry

    key = "ch" + re.search(r"/(\d\d)_", chapter).group(1)
    graded = registry.of_chapter(key)
    if not graded:
        pytest.skip(f"{key} has no coding exercises")  # a chapter with nothing to implement
    html = (HTML / f"{chapter}.html").read_text()
    assert "dlbook grade exercises/" + key in html
    assert "from dlbook.grading import check" in html
    for exercise in graded:
        assert exercise.id in html, f"{chapter} does not list {exercise.id}"


def test_bibliography_lists_the_cited_works():
    html = (HTML / "book" / "bibliography.html").read_text()
    assert "Learning representations by back-propagating errors" in html


@pytest.mark.parametrize("page", toc_files())
def test_links_to_the_published_book_lead_to_the_local_copy(page):
    """The grader's feedback in an output links to the section to read: in the built book,
    to this copy's page, not to the published site (book/_ext/dlbook_site.py)."""
    base = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    html = (HTML / f"{page}.html").read_text()
    body = html[html.index("<body"):]
    assert not re.findall(r"""href=["']""" + re.escape(base), body)


def test_the_preface_feedback_links_to_the_chapters_section():
    html = (HTML / "book" / "00_preface.html").read_text()
    assert "href='01_neurons_and_networks.html#activation-functions'" in html
    assert 'id="activation-functions"' in (HTML / "book" / "01_neurons_and_networks.html").read_text()


@pytest.mark.parametrize("chapter, table", [("13_recurrent_networks", "tab-ch13-forecasts"),
                                            ("14_lstm", "tab-ch14-forecasts")])
def test_glued_tables_are_numbered_as_tables(chapter, table):
    html = (HTML / "book" / f"{chapter}.html").read_text()
    number = chapter[:2].lstrip("0")
    caption = re.search(rf'id="{table}".*?<span class="caption-number">([^<]*)</span>', html, re.S)
    assert caption and caption.group(1).strip() == f"Table {number}.1"
    assert f'href="#{table}"><span class="std std-numref">Table {number}.1</span>' in html
