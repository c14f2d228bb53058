import time

import numpy as np
import pytest

from dlbook import config


def test_profile_defaults_to_quick(monkeypatch):
    monkeypatch.delenv("DLBOOK_PROFILE", raising=False)
    assert config.profile() == "quick"


@pytest.mark.parametrize("value, expected",
                         [("full", "full"), (" FULL ", "full"), ("quick", "quick")])
def test_profile_reads_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("DLBOOK_PROFILE", value)
    assert config.profile() == expected


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("DLBOOK_PROFILE", "fast")
    with pytest.raises(ValueError, match=r"DLBOOK_PROFILE must be one of .*'fast'"):
        config.profile()


def test_every_chapter_has_both_profiles_with_the_same_keys():
    for chapter in config.chapters():
        quick, full = config.budget(chapter, "quick"), config.budget(chapter, "full")
        assert vars(quick).keys() == vars(full).keys(), chapter
        assert quick.profile == "quick" and full.profile == "full"


def test_full_profile_never_trains_less_than_quick():
    for chapter in config.chapters():
        quick, full = vars(config.budget(chapter, "quick")), vars(config.budget(chapter, "full"))
        for key, value in quick.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert full[key] >= value, f"{chapter}.{key}: full {full[key]} < quick {value}"


def test_budget_follows_the_environment(monkeypatch):
    monkeypatch.setenv("DLBOOK_PROFILE", "full")
    assert config.budget("ch04").profile == "full"


def test_budget_rejects_unknown_chapter_and_profile():
    with pytest.raises(ValueError, match=r"chapter must be one of .*'ch99'"):
        config.budget("ch99")
    with pytest.raises(ValueError, match=r"profile_name must be one of .*'huge'"):
        config.budget("ch01", "huge")


def test_seed_everything_makes_numpy_and_keras_repeatable():
    import keras

    def draw():
        config.seed_everything(7)
        return np.random.rand(3), keras.random.normal((3,)).numpy()

    (a_np, a_k), (b_np, b_k) = draw(), draw()
    np.testing.assert_array_equal(a_np, b_np)
    np.testing.assert_array_equal(a_k, b_k)
    config.seed_everything(8)
    assert not np.array_equal(np.random.rand(3), a_np)


@pytest.mark.parametrize("seed, error", [(1.5, TypeError), ("1", TypeError), (True, TypeError),
                                         (-1, ValueError), (2**32, ValueError)])
def test_seed_everything_rejects_bad_seeds(seed, error):
    with pytest.raises(error, match="seed must"):
        config.seed_everything(seed)


def test_without_keras_seeding_covers_python_and_numpy(monkeypatch):
    monkeypatch.setattr(config, "has_keras", lambda: False)
    config.seed_everything(5)
    first = np.random.rand(3)
    config.seed_everything(5)
    np.testing.assert_array_equal(first, np.random.rand(3))


def test_glue_is_myst_nbs_in_the_build(monkeypatch):
    import myst_nb

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *args, **kwargs: calls.append((args, kwargs)))
    config.glue("accuracy", 0.9, display=False)
    assert calls == [(("accuracy", 0.9), {"display": False})]


def test_without_myst_nb_glue_shows_the_value_only_when_asked(monkeypatch):
    import importlib.util

    import IPython.display

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "myst_nb" else real(name))
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    config.glue("hidden", 1, display=False)
    config.glue("shown", 2)
    assert shown == [2]


def test_the_running_time_is_glued_from_the_setup_cells_clock(monkeypatch):
    glued = []
    monkeypatch.setattr(config, "glue", lambda *args, **kwargs: glued.append((args, kwargs)))
    monkeypatch.setattr(config, "_chapter_started", None)
    with pytest.raises(RuntimeError, match="needs setup_notebook"):
        config.glue_running_time()
    monkeypatch.setattr(config, "_chapter_started", time.perf_counter() - 90)
    config.glue_running_time()
    assert glued == [(("chapter_runtime", "2 minutes"), {"display": False})]


def test_glue_stops_the_build_at_a_figure_unreadable_on_a_phone(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import myst_nb

    from dlbook import plotting

    plotting.use_book_style()
    glued = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: glued.append(name))
    wide, _ = plt.subplots(1, 4, figsize=(13, 3.8))
    with pytest.raises(ValueError, match="fig_wide: its smallest text"):
        config.glue("fig_wide", wide, display=False)
    narrow, _ = plt.subplots(figsize=(6, 3.8))
    config.glue("fig_narrow", narrow, display=False)
    assert glued == ["fig_narrow"]
    plt.close("all")
