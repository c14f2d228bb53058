"""The chapter pages' table of coding exercises is read from the registry."""

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


@pytest.mark.parametrize("bad", ["3", "chapter3", "ch3", 3, None])
def test_a_malformed_chapter_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="chapter must look like 'ch03'"):
        coding_exercises(bad)


def test_a_chapter_without_exercises_says_which_have_some():
    with pytest.raises(ValueError, match="'ch99' has no graded exercises; chapters with some: ch01"):
        coding_exercises("ch99")


def test_feedback_links_point_into_the_published_book():
    import yaml

    from dlbook.distribution import CLONE
    from dlbook.grading.registry import BOOK_URL

    baseurl = yaml.safe_load((CLONE / "_config.yml").read_text())["html"]["baseurl"]
    assert BOOK_URL.startswith(baseurl.rstrip("/") + "/book/")
    exercise = registry.get("ch03.backward")
    assert exercise.link.startswith(baseurl) and "03_backpropagation.html#" in exercise.link
