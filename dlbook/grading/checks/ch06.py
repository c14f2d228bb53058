"""Chapter 6, optimizers: one step of momentum, RMSProp, Adam and Nadam.

Stubs in ``exercises/ch06_optimizers.py``; references in
:mod:`dlbook.optimizers` (the textbook forms). The student's functions take
and return plain arrays, the state spelled out (``m``, ``s``, ``v``, and
``t``, the number of the step being taken, from 1); the references below
wrap the package's step functions, which keep the state in a named tuple
with ``t`` = steps already taken.
"""

from __future__ import annotations

import numpy as np

from dlbook.grading.compare import unpack
from dlbook.grading.registry import ArrayExercise, Call, register, resolve

PAGE = "06_optimizers"
MODULE = "dlbook.optimizers"


def momentum_reference(theta, gradient, m, learning_rate, beta):
    """``(theta_new, m_new)`` from :func:`dlbook.optimizers.momentum_step`."""
    state_type = resolve(f"{MODULE}:MomentumState")
    theta_new, state = resolve(f"{MODULE}:momentum_step")(theta, gradient, state_type(m),
                                                          learning_rate, beta)
    return theta_new, state.m


def rmsprop_reference(theta, gradient, s, learning_rate, rho, epsilon):
    """``(theta_new, s_new)`` from :func:`dlbook.optimizers.rmsprop_step`."""
    state_type = resolve(f"{MODULE}:RMSPropState")
    theta_new, state = resolve(f"{MODULE}:rmsprop_step")(theta, gradient, state_type(s),
                                                         learning_rate, rho, epsilon)
    return theta_new, state.s


def adam_reference(theta, gradient, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """``(theta_new, m_new, v_new)`` of step ``t`` (from 1), textbook form."""
    state_type = resolve(f"{MODULE}:AdamState")
    theta_new, state = resolve(f"{MODULE}:adam_step")(
        theta, gradient, state_type(m, v, t - 1), learning_rate, beta_1, beta_2, epsilon)
    return theta_new, state.m, state.v


def nadam_reference(theta, gradient, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """``(theta_new, m_new, v_new)`` of step ``t`` (from 1), textbook form (constant momentum)."""
    state_type = resolve(f"{MODULE}:NadamState")
    state = state_type(m, v, t - 1, beta_1 ** (t - 1))
    theta_new, state = resolve(f"{MODULE}:nadam_step")(theta, gradient, state, learning_rate,
                                                       beta_1, beta_2, epsilon)
    return theta_new, state.m, state.v


def _parts(*names):
    return lambda value: unpack(value, names)


def _momentum_calls() -> list[Call]:
    rng = np.random.default_rng(601)
    return [
        Call((rng.normal(0, 1, 3), rng.normal(0, 1, 3), np.zeros(3), 0.1, 0.9),
             label="the first step (m = 0)"),
        Call((rng.normal(0, 1, 4), rng.normal(0, 1, 4), rng.normal(0, 0.5, 4), 0.05, 0.8)),
        Call((rng.normal(0, 1, (3, 2)), rng.normal(0, 1, (3, 2)), rng.normal(0, 0.5, (3, 2)),
              0.01, 0.99), hidden=True, label="a (3, 2) weight matrix"),
        Call((rng.normal(0, 1, 5), rng.normal(0, 1, 5), rng.normal(0, 0.5, 5), 0.2, 0.0),
             hidden=True, label="beta = 0 (plain SGD)"),
    ]


register(ArrayExercise(
    id="ch06.momentum_step", function="momentum_step", title="one step of momentum",
    section=f"{PAGE}#momentum",
    hint="m_new = beta * m - learning_rate * gradient, then theta_new = theta + m_new; "
         "return (theta_new, m_new) as new arrays",
    make_calls=_momentum_calls, arg_names=("theta", "gradient", "m", "learning_rate", "beta"),
    reference=f"{__name__}:momentum_reference", parts=_parts("theta_new", "m_new")))


def _rmsprop_calls() -> list[Call]:
    rng = np.random.default_rng(602)

    def scaled(n):  # gradients of very different sizes: what RMSProp is for
        return rng.normal(0, 1, n) * np.geomspace(1e-3, 1e2, n)

    return [
        Call((rng.normal(0, 1, 3), scaled(3), np.zeros(3), 0.01, 0.9, 1e-7),
             label="the first step (s = 0)"),
        Call((rng.normal(0, 1, 4), scaled(4), rng.uniform(0, 2, 4), 0.001, 0.9, 1e-7)),
        Call((rng.normal(0, 1, 6), scaled(6), rng.uniform(0, 1, 6), 0.05, 0.5, 1e-3),
             hidden=True, label="rho 0.5, epsilon 1e-3"),
        Call((rng.normal(0, 1, (2, 3)), rng.normal(0, 1, (2, 3)), rng.uniform(0, 1, (2, 3)),
              0.01, 0.99, 1e-7), hidden=True, label="a (2, 3) weight matrix"),
    ]


register(ArrayExercise(
    id="ch06.rmsprop_step", function="rmsprop_step", title="one step of RMSProp",
    section=f"{PAGE}#rmsprop",
    hint="s_new = rho * s + (1 - rho) * gradient**2 (a plus: s is a mean of squares); "
         "theta_new = theta - learning_rate * gradient / np.sqrt(s_new + epsilon)",
    make_calls=_rmsprop_calls,
    arg_names=("theta", "gradient", "s", "learning_rate", "rho", "epsilon"),
    reference=f"{__name__}:rmsprop_reference", parts=_parts("theta_new", "s_new")))


def _adam_like_calls(seed: int) -> list[Call]:
    rng = np.random.default_rng(seed)

    def case(shape, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kw):
        first = t == 1
        m = np.zeros(shape) if first else rng.normal(0, 0.3, shape)
        v = np.zeros(shape) if first else rng.uniform(0, 1, shape)
        return Call((rng.normal(0, 1, shape), rng.normal(0, 1, shape), m, v, t, learning_rate,
                     beta_1, beta_2, epsilon), **kw)

    return [
        case(3, 1, learning_rate=0.1, label="the first step (t = 1, m = v = 0)"),
        case(4, 5, learning_rate=0.01),
        case((2, 3), 2, learning_rate=0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-5, hidden=True,
             label="t = 2, other betas"),
        case(5, 30, learning_rate=0.1, hidden=True, label="t = 30"),
    ]


register(ArrayExercise(
    id="ch06.adam_step", function="adam_step", title="one step of Adam with bias correction",
    section=f"{PAGE}#adam",
    hint="m_new = b1 m + (1 - b1) g, v_new = b2 v + (1 - b2) g**2; m_hat = m_new / (1 - b1**t), "
         "v_hat = v_new / (1 - b2**t) with t from 1; theta - lr * m_hat / (sqrt(v_hat) + eps)",
    make_calls=lambda: _adam_like_calls(603),
    arg_names=("theta", "gradient", "m", "v", "t", "learning_rate", "beta_1", "beta_2",
               "epsilon"),
    reference=f"{__name__}:adam_reference", parts=_parts("theta_new", "m_new", "v_new")))


register(ArrayExercise(
    id="ch06.nadam_step", function="nadam_step", title="one step of Nadam",
    section=f"{PAGE}#nadam",
    hint="moments as in Adam; m_hat = b1 m_new / (1 - b1**(t + 1)) + (1 - b1) g / (1 - b1**t); "
         "v_hat = v_new / (1 - b2**t); theta - lr * m_hat / (sqrt(v_hat) + eps)",
    make_calls=lambda: _adam_like_calls(604),
    arg_names=("theta", "gradient", "m", "v", "t", "learning_rate", "beta_1", "beta_2",
               "epsilon"),
    reference=f"{__name__}:nadam_reference", parts=_parts("theta_new", "m_new", "v_new")))
