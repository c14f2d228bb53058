"""Every reference solution scores full marks; every stub scores zero and says why.

One grading session covers ``solutions/``, ``exercises/`` and the Keras
submission of the bad corpus, so the Keras fork server starts once.
"""

from pathlib import Path

import pytest

from dlbook.grading import registry
from dlbook.grading.runner import grade_sources
from dlbook.grading.sources import find_sources, load_source

ROOT = Path(__file__).resolve().parents[1]
EXERCISE_FILES = sorted(p.name for p in (ROOT / "exercises").glob("ch*.py"))


@pytest.fixture(scope="module")
def graded():
    sources = (find_sources(ROOT / "solutions") + find_sources(ROOT / "exercises")
               + [load_source(ROOT / "tests" / "submissions" / "ch04_bad_models.py")])
    report = grade_sources(sources)
    by_folder = {"solutions": {}, "exercises": {}, "submissions": {}}
    for result in report.results:
        folder = next(name for name in by_folder if f"/{name}/" in result.source)
        by_folder[folder][result.exercise_id] = result
    return by_folder


def test_exercise_and_solution_files_come_in_pairs_with_three_exercises_per_chapter():
    assert EXERCISE_FILES == sorted(p.name for p in (ROOT / "solutions").glob("ch*.py"))
    chapters = [e.chapter for e in registry.exercises().values()]
    for chapter in ("ch01", "ch02", "ch03", "ch04"):
        assert chapters.count(chapter) >= 3
        assert any(name.startswith(chapter) for name in EXERCISE_FILES)


@pytest.mark.slow
def test_every_reference_solution_scores_full_marks(graded):
    solutions = graded["solutions"]
    assert set(solutions) == set(registry.exercises())
    for result in solutions.values():
        assert result.score == result.max_score > 0, result.text()
        assert result.status == "passed"


@pytest.mark.slow
def test_every_stub_scores_zero_with_a_not_implemented_message(graded):
    stubs = graded["exercises"]
    assert set(stubs) == set(registry.exercises())
    for result in stubs.values():
        assert result.score == 0 and result.status == "not implemented yet", result.text()
        public = [item for item in result.items if not item.hidden]
        assert all("not implemented yet" in item.problems[0] for item in public)


@pytest.mark.slow
def test_keras_answers_lose_exactly_the_checks_they_fail(graded):
    bad = graded["submissions"]
    assert {i: r.score for i, r in bad.items()} == {
        "ch04.build_iris_mlp": 3, "ch04.build_image_classifier": 4, "ch04.compile_and_fit": 1}
    iris = {item.name: item for item in bad["ch04.build_iris_mlp"].items}
    assert iris["layers"].problems == ("layer 2: expected Dense(16, relu), received "
                                       "Dense(16, sigmoid)",)
    functional = bad["ch04.build_image_classifier"].items[0]
    assert "received a Sequential" in functional.problems[0]
    fit = bad["ch04.compile_and_fit"].items
    assert "below the required 90%" in fit[1].problems[0] and fit[2].hidden


def test_every_exercise_links_to_a_section_of_its_chapter_and_gives_a_hint():
    from docutils.nodes import make_id

    chapters = {"ch" + p.name.split("_")[0]: p for p in (ROOT / "book").glob("[0-9][0-9]_*.md")}
    book = registry.BOOK_URL.removesuffix("{page}.html")
    for exercise in registry.exercises().values():
        assert exercise.link.startswith(book), exercise.id
        page, anchor = exercise.link.removeprefix(book).split(".html#")
        chapter = chapters[exercise.chapter]
        headings = {make_id(line.lstrip("#")) for line in chapter.read_text().splitlines()
                    if line.startswith("## ") or line.startswith("### ")}
        assert page == chapter.stem and anchor in headings, exercise.id
        assert len(exercise.hint) > 20 and exercise.title
