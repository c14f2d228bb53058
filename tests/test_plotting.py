import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dlbook import plotting  # noqa: E402


def test_book_style_uses_the_colour_blind_safe_palette():
    plotting.use_book_style()
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.lower() for c in colours] == [c.lower() for c in plotting.PALETTE]


def test_plot_history_draws_training_and_validation_curves():
    history = {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6]}
    ax = plotting.plot_history(history)
    assert len(ax.lines) == 2
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), history["val_loss"])
    assert ax.get_xlabel() == "epoch"
    plt.close("all")


def test_plot_history_rejects_missing_metric_and_bad_type():
    with pytest.raises(ValueError, match="accuracy"):
        plotting.plot_history({"loss": [1.0]}, metrics=("accuracy",))
    with pytest.raises(TypeError, match="history"):
        plotting.plot_history([1.0, 2.0])


def test_decision_boundary_shades_the_predicted_classes():
    x = np.array([[-1.0, 0.0], [1.0, 0.0], [-2.0, 1.0], [2.0, -1.0]])
    y = np.array([0, 1, 0, 1])
    ax = plotting.plot_decision_boundary(lambda p: (p[:, 0] > 0).astype(float), x, y, resolution=20)
    assert ax.get_xlabel() == "$x_1$" and len(ax.collections) >= 2
    plt.close("all")


def test_decision_boundary_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.ones((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"x must be a 2-D array of shape \(N, 2\)"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.ones((3, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="resolution must be an int, got float"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.ones((3, 2)), np.zeros(3), resolution=2.5)


def _figure(width, fontsize=None):
    plotting.use_book_style()
    fig, ax = plt.subplots(figsize=(width, 3), layout="constrained")
    ax.plot([0, 1], [0, 1])
    if fontsize:
        ax.tick_params(labelsize=fontsize)
    return fig


def test_phone_text_size_follows_the_figure_width():
    # text of s points in an image w inches wide (its ink + 0.2 in padding) shown 382 px wide
    fig = _figure(6.4)
    px = plotting.phone_text_px(fig)
    width = fig.get_tightbbox().width + 0.2
    assert 6.2 < width <= 6.6
    assert px == pytest.approx(12 / 72 * 382 / width, rel=1e-6)
    assert plotting.phone_text_px(_figure(3)) == pytest.approx(12 / 72 * 100, rel=1e-6)  # never enlarged
    plt.close("all")


def test_check_legible_names_the_figure_and_what_to_change():
    plotting.check_legible(_figure(6.4), "fine")
    with pytest.raises(ValueError, match=r"wide_fig: its smallest text would be 5\.\d px.*11 in wide"):
        plotting.check_legible(_figure(11), "wide_fig")
    with pytest.raises(ValueError, match="small_ticks"):
        plotting.check_legible(_figure(5, fontsize=7), "small_ticks")
    plt.close("all")


def test_text_that_is_not_drawn_does_not_count():
    fig = _figure(6.4, fontsize=4)
    fig.axes[0].axis("off")  # its tiny tick labels are not drawn
    fig.axes[0].set_title("drawn")
    plotting.check_legible(fig, "axis off")
    hidden = fig.axes[0].text(0.5, 0.5, "tiny", fontsize=4)
    with pytest.raises(ValueError):
        plotting.check_legible(fig, "tiny text")
    hidden.set_visible(False)
    plotting.check_legible(fig, "hidden text")
    plt.close("all")
