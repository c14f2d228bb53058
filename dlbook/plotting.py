"""Figure style and the few plots several chapters share."""

from __future__ import annotations

import numpy as np

from dlbook import validation

# Okabe and Ito's colour-blind-safe palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

# On a 390-px phone the book shows a figure 382 CSS pixels wide (book/_static/dlbook.css
# lets it use the column's side padding; tests/test_site.py measures it); below 9 pixels
# a tick label cannot be read there.
PHONE_FIGURE_PX = 382
MIN_TEXT_PX = 9.0
# The style's smallest text, and the dots per inch every figure is drawn at.
FONT_PT = 12
DPI = 100


def use_book_style() -> None:
    """One look for every figure: the palette, a light grid, readable sizes."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=PALETTE),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": DPI,
        "font.size": FONT_PT,
        "legend.fontsize": FONT_PT,
        "legend.title_fontsize": FONT_PT,
        "axes.titlesize": FONT_PT + 1,
        "axes.labelsize": FONT_PT,
        "xtick.labelsize": FONT_PT,
        "ytick.labelsize": FONT_PT,
        "figure.titlesize": FONT_PT + 2,
        "savefig.bbox": "tight",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "image.cmap": "viridis",
    })


def phone_text_px(fig) -> float:
    """The height of the figure's smallest text, in CSS pixels, on a phone.

    The page shows the saved image (cropped to its ink, plus matplotlib's 0.1 in
    padding on each side) at most ``PHONE_FIGURE_PX`` wide, so text of ``s`` points
    in a figure ``w`` inches wide is ``s / 72 * min(dpi * w, PHONE_FIGURE_PX) / w``
    pixels high.
    """
    fig.draw_without_rendering()  # tick labels get their text when the figure is drawn
    sizes = [text.get_fontsize() for text in _drawn_texts(fig)]
    if not sizes:
        return float("inf")
    width = fig.get_tightbbox(fig.canvas.get_renderer()).width + 2 * 0.1
    return min(sizes) / 72 * min(fig.dpi * width, PHONE_FIGURE_PX) / width


def _drawn_texts(artist):
    """The texts under ``artist`` that are drawn: visible, not empty, and not under a
    hidden artist or the axis of an axes turned off (``ax.axis("off")``)."""
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    if not artist.get_visible():
        return
    if isinstance(artist, Text) and artist.get_text().strip():
        yield artist
    for child in artist.get_children():
        if isinstance(artist, Axes) and not artist.axison and isinstance(child, Axis):
            continue
        yield from _drawn_texts(child)


def check_legible(fig, name: str = "figure") -> None:
    """Raise ``ValueError`` when the figure's smallest text would be under
    ``MIN_TEXT_PX`` pixels on a phone (see :func:`phone_text_px`)."""
    px = phone_text_px(fig)
    if px < MIN_TEXT_PX:
        width = fig.get_size_inches()[0]
        raise ValueError(
            f"{name}: its smallest text would be {px:.1f} px high on a phone (at least "
            f"{MIN_TEXT_PX:g} px needed); the figure is {width:g} in wide: make it narrower "
            f"(stack its panels) or its text larger (at least {FONT_PT} pt)")


def plot_history(history, metrics=("loss",), ax=None, title=None):
    """Learning curves from a Keras ``History`` (or its ``.history`` dict).

    Plots each metric for training and, where present, validation, against
    the epoch number. Returns the axes.
    """
    import matplotlib.pyplot as plt

    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"history must be a keras History or a dict, got {type(history).__name__}")
    missing = [m for m in metrics if m not in logs]
    if missing:
        raise ValueError(f"metrics {missing} not in history; it has {sorted(logs)}")
    ax = ax or plt.subplots()[1]
    for colour, metric in zip(PALETTE, metrics, strict=False):
        epochs = np.arange(1, len(logs[metric]) + 1)
        ax.plot(epochs, logs[metric], color=colour, label=f"training {metric}")
        if f"val_{metric}" in logs:
            ax.plot(epochs, logs[f"val_{metric}"], color=colour, linestyle="--",
                    label=f"validation {metric}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(", ".join(metrics))
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_decision_boundary(predict, x, y, ax=None, resolution=200, title=None):
    """Shade the class ``predict`` gives each point of the plane around ``x``.

    ``predict`` maps an ``(M, 2)`` array to class scores ``(M,)`` or ``(M, K)``;
    ``x`` is ``(N, 2)`` and ``y`` holds the ``N`` integer labels. Returns the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    x = validation.float_array("x", x, "(N, 2)")
    if x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {x.shape}")
    resolution = validation.integer("resolution", resolution, minimum=2)
    y = np.asarray(y)
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must have shape ({x.shape[0]},), got {y.shape}")
    ax = ax or plt.subplots()[1]
    lo, hi = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    scores = np.asarray(predict(np.c_[g0.ravel(), g1.ravel()]))
    multiclass = scores.ndim == 2 and scores.shape[1] > 1
    labels = scores.argmax(axis=1) if multiclass else (scores.ravel() > 0.5)
    n_classes = int(max(y.max(), labels.max())) + 1
    cmap = ListedColormap(PALETTE[:n_classes])
    ax.contourf(g0, g1, labels.reshape(g0.shape), alpha=0.25, cmap=cmap,
                levels=np.arange(n_classes + 1) - 0.5)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap=cmap, s=12, edgecolor="k", linewidth=0.3,
               vmin=-0.5, vmax=n_classes - 0.5)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax
