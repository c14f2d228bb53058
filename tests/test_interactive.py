"""dlbook.interactive: every frame computed, the page's markup and data, the still image, bad
input refused. tests/test_site_checks.py moves a slider in Chromium; tests/test_site.py does it
on every moving figure of the built book."""

import base64
import html
import json
import re

import numpy as np
import pytest

from dlbook import interactive as ia

GRID = np.linspace(-1, 1, 9)


def parabola(a, shift=0.0):
    x = np.linspace(-1, 1, 5)
    return [ia.Line(x, a * x**2 + shift, label="a x²", markers=True), ia.Line(x, a * x, panel=1)]


def figure(**changes):
    arguments = dict(
        name="test-parabola", panels=[ia.Panel("x", "y"), ia.Panel("x", "slope", log_y=False)],
        sliders=[ia.Slider("a", "a", [0.5, 1.0, 2.0], start=1), ia.Slider("shift", "shift", [0.0, 1.0])],
        draw=parabola, fixed=[ia.Contours(GRID, GRID, np.add.outer(GRID**2, GRID**2) + 0.1, 0.1, 2)],
        alt="Parabolas")
    return ia.MovingFigure(**(arguments | changes))


def page_data(fig):
    markup = fig.html()
    found = re.search(r'<script type="application/json" class="dlbook-frames">(.*?)</script>', markup, re.S)
    return markup, json.loads(found.group(1))


def test_every_combination_of_slider_values_is_drawn_once():
    calls = []
    fig = figure(draw=lambda a, shift: calls.append((a, shift)) or parabola(a, shift))
    assert sorted(calls) == sorted((a, s) for a in (0.5, 1.0, 2.0) for s in (0.0, 1.0))
    assert set(fig.frames) == {(i, j) for i in range(3) for j in range(2)}
    assert fig.start == (1, 0)


def test_the_page_holds_the_start_figure_and_every_frames_moving_traces():
    fig = figure()
    _, spec = page_data(fig)
    assert spec["fixed"] == 1 and len(spec["data"]) == 3
    assert set(spec["frames"]) == {f"{i}|{j}" for i in range(3) for j in range(2)}
    line = spec["frames"]["2|1"][0]
    assert np.allclose(line["y"], 2.0 * np.linspace(-1, 1, 5) ** 2 + 1.0)
    assert spec["frames"]["2|1"][1]["yaxis"] == "y2"  # the second panel's axes
    assert spec["data"][1:] == spec["frames"]["1|0"]  # the start frame is the one drawn first


def test_the_sliders_start_where_the_figure_starts_and_name_their_values():
    markup, _ = page_data(figure())
    inputs = re.findall(r'<input type="range" min="0" max="(\d+)" step="1" value="(\d+)" '
                        r'data-values="([^"]*)"><output>([^<]*)</output>', markup)
    assert [(m, v, json.loads(html.unescape(d)), o) for m, v, d, o in inputs] == [
        ("2", "1", ["0.5", "1", "2"], "1"), ("1", "0", ["0", "1"], "0")]


def test_the_still_image_is_the_start_frame_and_shows_without_the_script():
    fig = figure()
    markup, _ = page_data(fig)
    png = re.search(r'<img class="dlbook-still" src="data:image/png;base64,([^"]+)" alt="Parabolas">',
                    markup).group(1)
    assert base64.b64decode(png) == fig.still_png()
    assert '<div class="dlbook-plot" role="img" aria-label="Parabolas" hidden>' in markup
    still = fig.still()
    assert [text.get_text() for text in still.texts] == ["a = 1, shift = 0"]
    top = still.axes[0].get_lines()[0]
    assert np.allclose(top.get_ydata(), np.linspace(-1, 1, 5) ** 2)


def test_two_builds_write_the_same_page():
    assert figure().html() == figure().html()


def test_a_frame_cannot_close_the_script_that_holds_it():
    markup, spec = page_data(figure(draw=lambda a, shift: [ia.Line([0, 1], [a, shift], label="</script>")]))
    assert markup.count("</script>") == 1 and spec["data"][1]["name"] == "</script>"


def test_numbers_are_written_to_five_significant_digits_and_non_finite_as_gaps():
    _, spec = page_data(figure(draw=lambda a, shift: [ia.Line([0, 1, 2], [np.pi * a, np.inf, np.nan])]))
    assert spec["frames"]["2|0"][0]["y"] == [6.2832, None, None]


def test_cells_write_their_values_with_row_zero_at_the_top():
    fig = figure(panels=[ia.Panel(matrix=True)],
                 draw=lambda a, shift: [ia.Cells(np.array([[a, shift], [1, 2]]))], fixed=())
    _, spec = page_data(fig)
    assert spec["frames"]["2|1"][0]["text"] == [["2", "1"], ["1", "2"]]
    assert spec["layout"]["yaxis"]["autorange"] == "reversed"
    assert spec["layout"]["yaxis"]["scaleanchor"] == "x"


def test_a_log_axis_gets_its_range_in_decades():
    fig = figure(panels=[ia.Panel(y_range=(1e-3, 10), log_y=True), ia.Panel()])
    layout = fig.to_plotly().to_plotly_json()["layout"]
    assert layout["yaxis"]["type"] == "log" and np.allclose(layout["yaxis"]["range"], [-3, 1])


@pytest.mark.parametrize("changes, message", [
    (dict(alt=" "), "alt text"),
    (dict(panels=[]), "at least one Panel"),
    (dict(sliders=[]), "distinct names"),
    (dict(sliders=[ia.Slider("a", "a", [1, 2]), ia.Slider("a", "b", [1, 2])]), "distinct names"),
    (dict(draw=lambda a, shift: parabola(a)[: 1 + (a > 1)]), "same traces in the same order"),
    (dict(draw=lambda a, shift: [ia.Line([0], [0], panel=2)]), "panel 2"),
])
def test_a_malformed_figure_is_refused_with_the_reason(changes, message):
    with pytest.raises(ValueError, match=message):
        figure(**changes)


def test_a_trace_of_another_kind_is_refused():
    with pytest.raises(TypeError, match="Line, Contours or Cells, got tuple"):
        figure(draw=lambda a, shift: [([0, 1], [a, a])])


@pytest.mark.parametrize("arguments, message", [
    (("a b", "a", [1, 2]), "identifier"),
    (("a", "a", [1]), "at least two values"),
    (("a", "a", [1, 2], 2), "start must index its 2 values"),
])
def test_a_malformed_slider_is_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        ia.Slider(*arguments)
