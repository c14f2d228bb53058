"""Figures a reader can move: sliders over frames computed when the book is built.

A :class:`MovingFigure` is one description drawn two ways. In the HTML book it
is a plotly figure with a labelled range slider per parameter: every frame is
computed in the build and written into the page, and ``book/_static/dlbook.js``
shows the frame for the sliders' values (no server, and plotly's JavaScript comes
from the site, not a CDN). The printed page, and a notebook without the book's
JavaScript, show a still matplotlib image of the starting frame instead.

A figure is made of panels (axes) and traces: :class:`Line`, :class:`Contours` and
:class:`Cells`. ``draw(**values)`` returns the traces that move for one value of each
slider; ``fixed`` traces (a loss surface, say) are drawn once under them.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlbook.plotting import DPI, FONT_PT, PALETTE

GREY = "#999999"
DIGITS = 5  # significant digits written into the page: plenty for a plot, a third of the bytes


@dataclass(frozen=True)
class Line:
    """A polyline through the points (x, y), with a marker at each point when ``markers``."""

    x: Sequence[float]
    y: Sequence[float]
    label: str = ""
    color: str = PALETTE[0]
    markers: bool = False
    panel: int = 0


@dataclass(frozen=True)
class Contours:
    """Contour lines of z over the grid (x, y), at ``count`` levels spaced evenly in log z
    from ``lowest`` to ``highest`` (losses span decades)."""

    x: Sequence[float]
    y: Sequence[float]
    z: np.ndarray
    lowest: float
    highest: float
    count: int = 12
    panel: int = 0

    def levels(self) -> np.ndarray:
        return np.geomspace(self.lowest, self.highest, self.count)


@dataclass(frozen=True)
class Cells:
    """A matrix drawn as shaded cells with each value written in, row 0 at the top."""

    values: np.ndarray
    panel: int = 0


@dataclass(frozen=True)
class Panel:
    """One set of axes: its labels, optional fixed ranges, a log y axis, equal scales."""

    x_label: str = ""
    y_label: str = ""
    title: str = ""
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    log_y: bool = False
    equal_axes: bool = False
    matrix: bool = False  # Cells: row 0 at the top, equal scales, no grid



@dataclass(frozen=True)
class Slider:
    """A parameter the reader moves: ``draw`` receives it as the keyword ``name``."""

    name: str
    label: str
    values: Sequence
    start: int = 0
    format: str = "{:g}"

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"a slider's name is draw's keyword, so an identifier; got {self.name!r}")
        if len(self.values) < 2:
            raise ValueError(f"slider {self.name!r} needs at least two values, got {len(self.values)}")
        if not 0 <= self.start < len(self.values):
            raise ValueError(f"slider {self.name!r}: start must index its {len(self.values)} values, "
                             f"got {self.start}")

    def text(self, index: int) -> str:
        return self.format.format(self.values[index])


@dataclass
class MovingFigure:
    """A figure with a slider per parameter, every frame computed now (see the module).

    ``name`` is the figure's id in the page; ``alt`` describes it to a screen reader;
    ``height`` is in CSS pixels, 340 per panel unless given.
    """

    name: str
    panels: Sequence[Panel]
    sliders: Sequence[Slider]
    draw: Callable[..., list]
    fixed: Sequence = ()
    alt: str = ""
    height: int | None = None
    frames: dict[tuple[int, ...], list] = field(init=False, repr=False)

    def __post_init__(self):
        if not self.alt.strip():
            raise ValueError("a moving figure needs alt text: what it shows, for a screen reader")
        if not self.panels:
            raise ValueError("a moving figure needs at least one Panel")
        self.height = self.height or 340 * len(self.panels)
        names = [slider.name for slider in self.sliders]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a moving figure needs one or more sliders with distinct names, got {names}")
        self.frames = {index: self._drawn(index) for index in
                       itertools.product(*(range(len(s.values)) for s in self.sliders))}
        shapes = {key: [type(trace).__name__ for trace in traces] for key, traces in self.frames.items()}
        first = shapes[self.start]
        for key, shape in shapes.items():
            if shape != first:
                raise ValueError(f"every frame must draw the same traces in the same order: "
                                 f"{self._describe(key)} draws {shape}, the start draws {first}")

    @property
    def start(self) -> tuple[int, ...]:
        return tuple(slider.start for slider in self.sliders)

    def _drawn(self, index) -> list:
        values = {s.name: s.values[i] for s, i in zip(self.sliders, index, strict=True)}
        traces = list(self.draw(**values))
        for trace in [*self.fixed, *traces]:
            if not isinstance(trace, (Line, Contours, Cells)):
                raise TypeError(f"a trace must be a Line, Contours or Cells, got {type(trace).__name__}")
            if not 0 <= trace.panel < len(self.panels):
                raise ValueError(f"a trace is on panel {trace.panel}; the figure has {len(self.panels)}")
        return traces

    def _describe(self, index) -> str:
        return ", ".join(f"{s.label} = {s.text(i)}" for s, i in zip(self.sliders, index, strict=True))

    # -- plotly, for the HTML book -------------------------------------------------------

    def to_plotly(self, index: tuple[int, ...] | None = None):
        """The plotly figure of one frame (the start by default): ``.show()`` it in Jupyter."""
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=len(self.panels), cols=1, vertical_spacing=0.14,
                            subplot_titles=[panel.title for panel in self.panels])
        for trace in [*self.fixed, *self.frames[self.start if index is None else index]]:
            fig.add_trace(_plotly_trace(trace), row=trace.panel + 1, col=1)
        for row, panel in enumerate(self.panels, start=1):
            _plotly_axes(fig, panel, row)
        fig.update_layout(height=self.height, margin=dict(l=60, r=20, t=40, b=50),
                          font=dict(size=FONT_PT + 2), template="plotly_white",
                          legend=dict(orientation="h", y=-0.12), showlegend=self._has_labels())
        fig.update_annotations(font_size=FONT_PT + 2)
        return fig

    def _has_labels(self) -> bool:
        return any(isinstance(t, Line) and t.label for t in [*self.fixed, *self.frames[self.start]])

    def spec(self) -> dict:
        """What the page's script needs: the start figure, and every frame's moving traces."""
        figure = self.to_plotly().to_plotly_json()
        moving = {}
        for key in self.frames:
            data = self.to_plotly(key).to_plotly_json()["data"]
            moving["|".join(map(str, key))] = data[len(self.fixed):]
        return {"data": figure["data"], "layout": _rounded(figure["layout"]), "fixed": len(self.fixed),
                "frames": moving, "config": {"displayModeBar": False, "responsive": True}}

    # -- matplotlib, for the printed page ------------------------------------------------

    def still(self):
        """The start frame as a matplotlib figure, titled with the sliders' values."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(len(self.panels), 1, squeeze=False, layout="constrained",
                                 figsize=(6.4, self.height / DPI))
        for trace in [*self.fixed, *self.frames[self.start]]:
            _draw_matplotlib(axes[trace.panel, 0], trace)
        for ax, panel in zip(axes[:, 0], self.panels, strict=True):
            ax.set(xlabel=panel.x_label, ylabel=panel.y_label, title=panel.title)
            if panel.x_range:
                ax.set_xlim(panel.x_range)
            if panel.y_range:
                ax.set_ylim(panel.y_range)
            if panel.log_y:
                ax.set_yscale("log")
            if panel.equal_axes:
                ax.set_aspect("equal")
            if any(line.get_label()[:1] not in ("", "_") for line in ax.get_lines()):
                ax.legend(fontsize=FONT_PT - 1)
        fig.suptitle(self._describe(self.start))
        return fig

    def still_png(self) -> bytes:
        import matplotlib.pyplot as plt

        fig = self.still()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        plt.close(fig)
        return buffer.getvalue()

    # -- the page ----------------------------------------------------------------------------

    def html(self) -> str:
        """The markup: the still image, the plot and its sliders (hidden until the script
        draws the plot), and the frames as JSON."""
        spec = json.dumps(self.spec(), separators=(",", ":")).replace("</", "<\\/")
        still = base64.b64encode(self.still_png()).decode()
        alt = html.escape(self.alt, quote=True)
        controls = "".join(
            f'<label class="dlbook-slider">{html.escape(s.label)} '
            f'<input type="range" min="0" max="{len(s.values) - 1}" step="1" value="{s.start}" '
            f'data-values="{html.escape(json.dumps([s.text(i) for i in range(len(s.values))]))}">'
            f'<output>{html.escape(s.text(s.start))}</output></label>'
            for s in self.sliders)
        return (f'<div class="dlbook-moving-figure" id="{html.escape(self.name)}">'
                f'<img class="dlbook-still" src="data:image/png;base64,{still}" alt="{alt}">'
                f'<div class="dlbook-plot" role="img" aria-label="{alt}" hidden></div>'
                f'<div class="dlbook-controls" hidden>{controls}</div>'
                f'<script type="application/json" class="dlbook-frames">{spec}</script></div>')

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html(), "text/plain": f"<MovingFigure {self.name}: {self.alt}>"}


def _plotly_trace(trace):
    import plotly.graph_objects as go

    if isinstance(trace, Line):
        return go.Scatter(x=_rounded(np.asarray(trace.x, float)), y=_rounded(np.asarray(trace.y, float)),
                          mode="lines+markers" if trace.markers else "lines",
                          name=trace.label, showlegend=bool(trace.label),
                          line=dict(color=trace.color, width=2), marker=dict(size=5))
    if isinstance(trace, Contours):
        logs = np.log10(trace.levels())
        return go.Contour(x=_rounded(np.asarray(trace.x, float)), y=_rounded(np.asarray(trace.y, float)),
                          z=_rounded(np.log10(np.maximum(trace.z, trace.lowest / 10))),
                          contours=dict(coloring="lines", start=logs[0], end=logs[-1],
                                        size=(logs[-1] - logs[0]) / (trace.count - 1)),
                          colorscale=[[0, GREY], [1, GREY]], line=dict(width=1), showscale=False,
                          hoverinfo="skip")
    values = np.asarray(trace.values)
    return go.Heatmap(z=_rounded(values.astype(float)), text=np.vectorize("{:g}".format)(values).tolist(),
                      texttemplate="%{text}", textfont=dict(color="black"),
                      colorscale="Blues", showscale=False, xgap=1, ygap=1, **_shades(values))


def _plotly_axes(fig, panel: Panel, row: int) -> None:
    x = dict(title_text=panel.x_label, range=panel.x_range)
    y = dict(title_text=panel.y_label, range=panel.y_range)
    if panel.log_y:
        y.update(type="log", exponentformat="power")
        if panel.y_range:
            y["range"] = [float(np.log10(v)) for v in panel.y_range]
    if panel.equal_axes or panel.matrix:  # the plot narrows rather than its x range widen
        y.update(scaleanchor="x" if row == 1 else f"x{row}", scaleratio=1)
        x.update(constrain="domain")
    if panel.matrix:
        y.update(autorange="reversed", showgrid=False, zeroline=False)
        x.update(showgrid=False, zeroline=False)
    fig.update_xaxes(row=row, col=1, **{k: v for k, v in x.items() if v is not None})
    fig.update_yaxes(row=row, col=1, **{k: v for k, v in y.items() if v is not None})


def _draw_matplotlib(ax, trace) -> None:
    if isinstance(trace, Line):
        ax.plot(trace.x, trace.y, ".-" if trace.markers else "-", color=trace.color,
                label=trace.label or None, ms=5)
    elif isinstance(trace, Contours):
        ax.contour(trace.x, trace.y, trace.z, levels=trace.levels(), colors=GREY, linewidths=0.6)
    else:
        values = np.asarray(trace.values)
        shades = _shades(values)
        ax.imshow(values, cmap="Blues", vmin=shades["zmin"], vmax=shades["zmax"])
        for (i, j), value in np.ndenumerate(values):
            ax.text(j, i, f"{value:g}", ha="center", va="center", fontsize=FONT_PT)
        ax.grid(False)


def _shades(values: np.ndarray) -> dict:
    """The colour scale's ends: the largest value only half way up, so its text stays legible."""
    low = float(values.min())
    return {"zmin": low, "zmax": low + 2 * float(np.ptp(values)) + 1e-9}


def _rounded(value):
    """``value`` with every float cut to ``DIGITS`` significant digits (the page's size)."""
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    if isinstance(value, np.ndarray):
        return _rounded(value.tolist())
    if isinstance(value, (float, np.floating)):
        return float(f"{value:.{DIGITS}g}") if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value
