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


def test_decision_boundary_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.ones((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"y must have shape \(3,\)"):
        plotting.plot_decision_boundary(lambda p: p[:, 0], np.ones((3, 2)), np.zeros(4))
