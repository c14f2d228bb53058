"""Chapter 13, recurrent networks: one step, the unrolled forward pass, BPTT, windows of a series.

Stubs in ``exercises/ch13_recurrent.py``; references in :mod:`dlbook.recurrent`
and :func:`dlbook.data.make_windows`. Keras' SimpleRNN layout: x (N, T, D),
W_x (D, H), W_h (H, H), b (H,); a cache is the plain 4-tuple (x, h, W_x, W_h)
with h (N, T + 1, H) holding h_0 .. h_T.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "13_recurrent_networks"
MODULE = "dlbook.recurrent"
CACHE_FIELDS = ("x", "h", "W_x", "W_h")
GRADIENTS = ("dx", "dh0", "dW_x", "dW_h", "db")


def _weights(rng, d, h, scale=0.7):
    return rng.normal(0, scale, (d, h)), rng.normal(0, scale, (h, h)), rng.normal(0, 0.3, h)


# -- one step -------------------------------------------------------------------------


def _step_calls() -> list[Call]:
    rng = np.random.default_rng(1301)

    def case(n, d, h, scale=0.7):
        return (rng.normal(size=(n, d)), rng.normal(0, 0.5, (n, h)), *_weights(rng, d, h, scale))

    return [Call(case(4, 3, 5), label="x_t (4, 3), H = 5"),
            Call(case(1, 1, 2), label="one example, one feature, H = 2"),
            Call(case(6, 2, 8), hidden=True),
            Call(case(3, 4, 3, scale=5.0), hidden=True, label="large weights: tanh saturates")]


register(ArrayExercise(
    id="ch13.rnn_step", function="rnn_step", title="one step of a recurrent layer",
    section=f"{PAGE}#the-recurrent-neuron",
    hint="h_t = np.tanh(x_t @ W_x + h_prev @ W_h + b): the input and the previous state, each through "
         "its own weights, plus the bias, squashed",
    make_calls=_step_calls, arg_names=("x_t", "h_prev", "W_x", "W_h", "b"),
    reference=f"{MODULE}:rnn_step", output_name="h_t"))


# -- the forward pass through time ----------------------------------------------------


def _forward_problem(rng, n, steps, d, h):
    return (rng.normal(size=(n, steps, d)), rng.normal(0, 0.5, (n, h)), *_weights(rng, d, h))


def _forward_calls() -> list[Call]:
    rng = np.random.default_rng(1302)
    return [Call(_forward_problem(rng, 3, 5, 2, 4), label="x (3, 5, 2), H = 4"),
            Call(_forward_problem(rng, 2, 1, 3, 3), label="a single step, T = 1"),
            Call(_forward_problem(rng, 4, 12, 1, 6), hidden=True),
            Call(_forward_problem(rng, 1, 30, 2, 2), hidden=True, label="one long sequence, T = 30")]


def forward_parts(value) -> dict:
    """The outputs h_1 .. h_T and the four parts of the cache, compared one by one."""
    top = unpack(value, ("h", "cache"))
    cache = unpack(top["cache"], CACHE_FIELDS)
    return {"h": top["h"], **{f"cache.{name}": cache[name] for name in CACHE_FIELDS}}


register(ArrayExercise(
    id="ch13.rnn_forward", function="rnn_forward", title="the recurrent layer unrolled through time",
    section=f"{PAGE}#unrolling-through-time",
    hint="states = np.zeros((N, T + 1, H)); states[:, 0] = h0; for t in range(T): states[:, t + 1] = "
         "np.tanh(x[:, t] @ W_x + states[:, t] @ W_h + b); return states[:, 1:], (x, states, W_x, W_h)",
    make_calls=_forward_calls, arg_names=("x", "h0", "W_x", "W_h", "b"),
    reference=f"{MODULE}:rnn_forward", parts=forward_parts))


# -- backpropagation through time -----------------------------------------------------


def _backward_calls() -> list[Call]:
    forward = resolve(f"{MODULE}:rnn_forward")
    rng = np.random.default_rng(1303)
    calls = []
    for n, steps, d, h, last, hidden in ((3, 4, 2, 3, False, False), (2, 5, 3, 4, True, False),
                                         (4, 6, 1, 5, False, True), (1, 8, 2, 3, True, True),
                                         (2, 1, 2, 2, False, True)):
        x, h0, W_x, W_h, b = _forward_problem(rng, n, steps, d, h)
        cache = tuple(forward(x, h0, W_x, W_h, b)[1])  # a plain tuple, as the student's forward returns
        dh = rng.normal(size=(n, h) if last else (n, steps, h))
        what = "the last state only" if last else "every state"
        calls.append(Call((dh, cache), hidden, f"dh {dh.shape} ({what}), T = {steps}, H = {h}"))
    return calls


def _bias_from_cache(x, h, W_x, W_h):
    """b, recovered from the first step: h_1 = tanh(x_1 W_x + h_0 W_h + b)."""
    return np.mean(np.arctanh(h[:, 1]) - x[:, 0] @ W_x - h[:, 0] @ W_h, axis=0)


def _backward_check(args):
    """Finite differences of L = sum(dh * outputs) in x, W_h and b, rebuilt from the cache."""
    dh, (x, h, W_x, W_h) = args
    forward = resolve(f"{MODULE}:rnn_forward")
    b, h0 = _bias_from_cache(x, h, W_x, W_h), h[:, 0]

    def loss(x_=x, W_h_=W_h, b_=b):
        out = forward(x_, h0, W_x, W_h_, b_)[0]
        return float(np.sum(dh * (out[:, -1] if dh.ndim == 2 else out)))

    return [("dx", lambda v: loss(x_=v), x, lambda value: value[0]),
            ("dW_h", lambda v: loss(W_h_=v), W_h, lambda value: value[3]),
            ("db", lambda v: loss(b_=v), b, lambda value: value[4])]


register(ArrayExercise(
    id="ch13.rnn_backward", function="rnn_backward", title="backpropagation through time",
    section=f"{PAGE}#backpropagation-through-time",
    hint="if dh is (N, H), put it at the last step of a zero (N, T, H) array; carry = 0; for t from T-1 "
         "down to 0: da = (dh[:, t] + carry) * (1 - h[:, t+1]**2); dx[:, t] = da @ W_x.T; "
         "dW_x += x[:, t].T @ da; dW_h += h[:, t].T @ da; db += da.sum(0); carry = da @ W_h.T; "
         "dh0 = carry",
    make_calls=_backward_calls, arg_names=("dh", "cache"),
    reference=f"{MODULE}:rnn_backward", parts=lambda value: unpack(value, GRADIENTS),
    finite_differences=_backward_check))


# -- windows of a series --------------------------------------------------------------


def _window_calls() -> list[Call]:
    rng = np.random.default_rng(1304)

    def series(n):
        return np.cumsum(rng.normal(size=n)).astype(np.float32)

    return [Call((series(12), 4, 1), label="T = 12, window 4, horizon 1"),
            Call((series(10), 3, 2), label="T = 10, window 3, horizon 2"),
            Call((series(50), 20, 5), hidden=True),
            Call((series(6), 5, 1), hidden=True, label="a single window: T = window + horizon"),
            Call((np.arange(9, dtype=np.float32), 1, 3), hidden=True, label="window 1")]


register(ArrayExercise(
    id="ch13.make_windows", function="make_windows", title="cut a series into (window, next values) pairs",
    section=f"{PAGE}#forecasting-a-time-series",
    hint="N = len(series) - window - horizon + 1; x[i] = series[i : i + window], reshaped to "
         "(N, window, 1); y[i] = series[i + window : i + window + horizon]; keep the series' dtype",
    make_calls=_window_calls, arg_names=("series", "window", "horizon"),
    reference="dlbook.data:make_windows", parts=lambda value: unpack(value, ("x", "y"))))
