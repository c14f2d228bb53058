"""The chapter pages' table of coding exercises is read from the registry."""

import subprocess
import sys

import pytest

from dlbook.grading import coding_exercises, registry


@pytest.mark.parametrize("chapter", sorted({e.chapter for e in registry.exercises().values()}))
def test_listing_names_every_exercise_of_the_chapter_and_its_stub_file(chapter):
    listing = coding_exercises(chapter)
    assert [row.id for row in listing.rows] == [e.id for e in registry.of_chapter(chapter)]
    assert listing.path.startswith(f"exercises/{chapter}_") and listing.path.endswith(".py")
    html = listing._repr_html_()
    for row in listing.rows:
        assert row.id in html and row.id in str(listing)
        assert row.public >= 1 and row.points > 0
    assert f"dlbook grade {listing.path}" in html


def test_points_count_every_planned_check():
    listing = coding_exercises("ch02")
    exercise = registry.get(listing.rows[0].id)
    calls = exercise.calls()
    assert listing.rows[0].public + listing.rows[0].hidden == len(calls)
    assert listing.rows[0].points == sum(len(exercise.planned_checks(c)) for c in calls)


@pytest.mark.parametrize("bad, error", [("3", ValueError), ("chapter3", ValueError),
                                        ("ch3", ValueError), (3, TypeError), (None, TypeError)])
def test_a_malformed_chapter_is_a_clear_error(bad, error):
    with pytest.raises(error, match=r"chapter must be one of \('ch01', 'ch02'"):
        coding_exercises(bad)


def test_a_chapter_without_exercises_says_which_have_some():
    with pytest.raises(ValueError, match=r"chapter must be one of \('ch01', .*\), got 'ch99'"):
        coding_exercises("ch99")


def test_feedback_links_point_into_the_published_book():
    import yaml

    from dlbook.distribution import CLONE
    from dlbook.grading.registry import BOOK_URL

    baseurl = yaml.safe_load((CLONE / "_config.yml").read_text())["html"]["baseurl"]
    assert BOOK_URL.startswith(baseurl.rstrip("/") + "/book/")
    exercise = registry.get("ch03.backward")
    assert exercise.link.startswith(baseurl) and "03_backpropagation.html#" in exercise.link


def test_a_chapters_listing_imports_its_own_exercise_set_only():
    # so that the build's cache re-runs a chapter when its own checks change, not anyone's
    code = ("import sys; from dlbook.grading import coding_exercises, registry; "
            "coding_exercises('ch05'); registry.get('ch03.backward'); "
            "print(sorted(m for m in sys.modules if m.startswith('dlbook.grading.checks.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['dlbook.grading.checks.ch03', 'dlbook.grading.checks.ch05']"


def test_every_exercise_is_listed_chapter_by_chapter_whatever_was_loaded_first():
    code = ("from dlbook.grading import registry; registry.of_chapter('ch09'); "
            "print(' '.join(e.chapter for e in registry.exercises().values()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    chapters = out.stdout.split()
    assert chapters[0] == "ch01" and chapters == sorted(chapters)
    assert chapters.count("ch09") == len(registry.of_chapter("ch09"))
