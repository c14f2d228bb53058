"""Optimizers: gradient descent with a memory.

Each optimizer is one pure *step function*,
``theta_new, state_new = <name>_step(theta, gradient, state, **hyperparameters)``,
that never changes its arguments. ``theta`` and ``gradient`` are float64
arrays of one shape (``(D,)`` for a parameter vector, but any shape works);
``state`` is a small named tuple holding what the optimizer remembers between
steps, and :func:`initial_state` gives the state before the first step (all
zeros, step counter 0). The notation is the book's: :math:`\\theta` the
parameters, :math:`g` the gradient, :math:`\\eta` the learning rate.

===========  ===========================================================  =================
optimizer    update                                                       state
===========  ===========================================================  =================
sgd          :math:`\\theta \\leftarrow \\theta - \\eta g`                  none
momentum     :math:`m \\leftarrow \\beta m - \\eta g,\\ \\theta \\leftarrow \\theta + m`   ``m``
nesterov     momentum with :math:`g` taken at :math:`\\theta + \\beta m`       ``m``
rmsprop      :math:`s \\leftarrow \\rho s + (1 - \\rho) g^2`, divide by
             :math:`\\sqrt{s + \\epsilon}`                                  ``s``
adam         bias-corrected moving averages of :math:`g` and :math:`g^2`    ``m, v, t``
nadam        Adam with a Nesterov look-ahead in the first moment           ``m, v, t, mu_product``
===========  ===========================================================  =================

Where the rule Keras 3 implements differs from the textbook one, the step
function takes ``form="textbook"`` (the default) or ``form="keras"``:

- ``nesterov``: Keras stores the look-ahead point :math:`\\phi = \\theta + \\beta m`
  as its variable and updates :math:`\\phi \\leftarrow \\phi + \\beta m_{\\rm new} - \\eta g`;
- ``adam``: Keras adds :math:`\\hat\\epsilon` to :math:`\\sqrt{v}` before the bias
  correction (the "epsilon-hat" form of Kingma and Ba, section 2);
- ``nadam``: Keras 3 replaces the constant :math:`\\beta_1` of the bias correction by the
  warm-up schedule :math:`u_t = \\beta_1 (1 - \\tfrac12 \\, 0.96^t)`.

SGD, momentum and RMSProp are the same rule in both. :func:`optimize` and
:func:`replay` run any optimizer for many steps, for example on
:func:`rosenbrock`'s banana valley; the functions at the end
(:func:`keras_optimizer`, :func:`keras_optimize`, :func:`keras_replay`,
:func:`keras_agreement`) run
the matching ``keras.optimizers`` class on float64 variables, and import Keras
only when they are called: the NumPy layer above never does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from dlbook import backend, validation
from dlbook.gradient_descent import Trajectory

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "nadam")
FORMS = ("textbook", "keras")
NADAM_DECAY = 0.96  # the base of Keras 3's momentum schedule u_t = beta_1 (1 - 0.5 * 0.96**t)

# The defaults of the matching keras.optimizers classes (Keras names in brackets).
DEFAULTS = {
    "sgd": {"learning_rate": 0.01},
    "momentum": {"learning_rate": 0.01, "beta": 0.9},  # [momentum]
    "nesterov": {"learning_rate": 0.01, "beta": 0.9},  # [momentum]
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}


# ---------------------------------------------------------------------------
# States


class SGDState(NamedTuple):
    """Plain gradient descent remembers nothing between steps."""


class MomentumState(NamedTuple):
    """The momentum vector :math:`m` (same shape as :math:`\\theta`); also Nesterov's state."""

    m: np.ndarray


class SurveyMomentumState(NamedTuple):
    """The velocity :math:`v` of the survey form of momentum: :math:`v = -m`."""

    v: np.ndarray


class RMSPropState(NamedTuple):
    """The moving average :math:`s` of the squared gradient (same shape as :math:`\\theta`)."""

    s: np.ndarray


class AdamState(NamedTuple):
    """Adam's first and second moments :math:`m, v` and the number ``t`` of steps taken."""

    m: np.ndarray
    v: np.ndarray
    t: int


class NadamState(NamedTuple):
    """Nadam's moments :math:`m, v`, the step count ``t`` and :math:`\\prod_{i \\le t} u_i`.

    ``mu_product`` is the product of the momentum coefficients of the steps
    taken so far (1 before the first): :math:`\\beta_1^t` for the textbook
    form, :math:`\\prod_{i=1}^t \\beta_1 (1 - \\tfrac12 0.96^i)` for the Keras form.
    """

    m: np.ndarray
    v: np.ndarray
    t: int
    mu_product: float


_STATES = {"sgd": SGDState, "momentum": MomentumState, "nesterov": MomentumState,
           "rmsprop": RMSPropState, "adam": AdamState, "nadam": NadamState}


def initial_state(optimizer: str, theta):
    """The state of ``optimizer`` before its first step: zero moments, ``t = 0``.

    ``theta`` gives the shape. For ``"sgd"`` an empty :class:`SGDState`.
    """
    optimizer = validation.choice("optimizer", optimizer, OPTIMIZERS)
    zeros = np.zeros_like(validation.float_array("theta", theta))
    return {
        "sgd": SGDState,
        "momentum": lambda: MomentumState(zeros),
        "nesterov": lambda: MomentumState(zeros),
        "rmsprop": lambda: RMSPropState(zeros),
        "adam": lambda: AdamState(zeros, zeros.copy(), 0),
        "nadam": lambda: NadamState(zeros, zeros.copy(), 0, 1.0),
    }[optimizer]()


# ---------------------------------------------------------------------------
# Input checks


def _decay(name: str, value) -> float:
    """A moving-average or momentum coefficient in [0, 1)."""
    return validation.number(name, value, 0.0, 1.0, high_open=True)


def _like_theta(name: str, value, shape: tuple) -> np.ndarray:
    """``value`` as a float64 array of ``theta``'s ``shape``."""
    array = validation.float_array(name, value)
    if array.shape != shape:
        raise ValueError(f"{name} must have the shape of theta {shape}, got {array.shape}")
    return array


def _check_state(state, kind: type, shape: tuple):
    """``state``, a ``kind`` whose moments have ``theta``'s ``shape``."""
    if not isinstance(state, kind):
        raise TypeError(f"state must be a {kind.__name__} (see initial_state), "
                        f"got {type(state).__name__}")
    for field in kind._fields:
        value = getattr(state, field)
        if field == "t":
            validation.integer("state.t", value, 0)
        elif field == "mu_product":
            validation.number("state.mu_product", value, 0.0, 1.0, low_open=True)
        else:
            _like_theta(f"state.{field}", value, shape)
    return state


def _prepare(theta, gradient, state, kind: type):
    theta = validation.float_array("theta", theta)
    gradient = _like_theta("gradient", gradient, theta.shape)
    _check_state(state, kind, theta.shape)
    return theta, gradient


# ---------------------------------------------------------------------------
# The step functions


def sgd_step(theta, gradient, state, learning_rate: float = 0.01):
    """Plain (stochastic) gradient descent: :math:`\\theta \\leftarrow \\theta - \\eta g`.

    ``theta``, ``gradient`` ``(D,)``; ``state`` an empty :class:`SGDState`.
    Returns ``(theta_new, state)``. ``keras.optimizers.SGD()`` is the same rule.
    """
    theta, gradient = _prepare(theta, gradient, state, SGDState)
    eta = validation.positive("learning_rate", learning_rate)
    return theta - eta * gradient, SGDState()


def momentum_step(theta, gradient, state, learning_rate: float = 0.01, beta: float = 0.9):
    """Momentum (Polyak's heavy ball).

    .. math:: m \\leftarrow \\beta m - \\eta g, \\qquad \\theta \\leftarrow \\theta + m

    :math:`m` is a decaying sum of past steps: under a constant gradient it
    approaches the terminal velocity :math:`-\\eta g / (1 - \\beta)`, ten
    times the plain step for :math:`\\beta = 0.9`. ``theta``, ``gradient``
    ``(D,)``; ``state`` a :class:`MomentumState`; ``beta`` in [0, 1)
    (Keras: ``momentum``; ``beta = 0`` is SGD). Returns ``(theta_new, state_new)``.
    ``keras.optimizers.SGD(momentum=beta)`` is the same rule.
    """
    theta, gradient = _prepare(theta, gradient, state, MomentumState)
    beta, eta = _decay("beta", beta), validation.positive("learning_rate", learning_rate)
    m = beta * state.m - eta * gradient
    return theta + m, MomentumState(m)


def momentum_survey_step(theta, gradient, state, learning_rate: float = 0.01, gamma: float = 0.9):
    """Momentum in the form of Ruder's survey.

    .. math:: v_t = \\gamma v_{t-1} + \\eta g_t, \\qquad \\theta_t = \\theta_{t-1} - v_t

    The same rule as :func:`momentum_step` with :math:`\\gamma = \\beta` and
    :math:`v = -m`: multiply the first equation of this form by -1 to get the
    other. ``state`` a :class:`SurveyMomentumState`. Returns ``(theta_new, state_new)``.
    """
    theta, gradient = _prepare(theta, gradient, state, SurveyMomentumState)
    gamma, eta = _decay("gamma", gamma), validation.positive("learning_rate", learning_rate)
    v = gamma * state.v + eta * gradient
    return theta - v, SurveyMomentumState(v)


def nesterov_lookahead(theta, state, beta: float = 0.9) -> np.ndarray:
    """Where Nesterov's method measures the gradient: :math:`\\theta + \\beta m`, ``(D,)``.

    The point momentum alone would carry the parameters to; the gradient
    there corrects the step before it is taken. (In the Keras form the
    parameters *are* this point: see :func:`nesterov_step`.)
    """
    theta = validation.float_array("theta", theta)
    _check_state(state, MomentumState, theta.shape)
    return theta + _decay("beta", beta) * state.m


def nesterov_step(theta, gradient, state, learning_rate: float = 0.01, beta: float = 0.9,
                  form: str = "textbook"):
    """Nesterov accelerated gradient, in the textbook or the Keras form.

    Textbook (Sutskever et al. 2013), with ``gradient`` measured at
    :func:`nesterov_lookahead`, :math:`g = \\nabla f(\\theta + \\beta m)`:

    .. math:: m \\leftarrow \\beta m - \\eta g, \\qquad \\theta \\leftarrow \\theta + m

    Keras (``SGD(momentum=beta, nesterov=True)``) keeps the look-ahead point
    :math:`\\phi = \\theta + \\beta m` as its parameters, so that the gradient
    is taken at the parameters as usual, :math:`g = \\nabla f(\\phi)`:

    .. math:: m \\leftarrow \\beta m - \\eta g, \\qquad
              \\phi \\leftarrow \\phi + \\beta m - \\eta g \\quad (\\text{with the new } m)

    The two are the same algorithm after the change of variables
    :math:`\\phi = \\theta + \\beta m`: :math:`\\phi_{\\rm new} = \\theta_{\\rm new} + \\beta m_{\\rm new}
    = \\phi - \\beta m + (1 + \\beta) m_{\\rm new}` and :math:`m_{\\rm new} - \\beta m = -\\eta g`.
    With ``form="keras"``, pass :math:`\\phi` as ``theta``. ``state`` a
    :class:`MomentumState`. Returns ``(theta_new, state_new)``.
    """
    form = validation.choice("form", form, FORMS)
    theta, gradient = _prepare(theta, gradient, state, MomentumState)
    beta, eta = _decay("beta", beta), validation.positive("learning_rate", learning_rate)
    m = beta * state.m - eta * gradient
    if form == "textbook":
        return theta + m, MomentumState(m)
    return theta + (beta * m - eta * gradient), MomentumState(m)


def rmsprop_step(theta, gradient, state, learning_rate: float = 0.001, rho: float = 0.9,
                 epsilon: float = 1e-7):
    """RMSProp: divide the gradient by a running root mean square of its recent values.

    .. math:: s \\leftarrow \\rho s + (1 - \\rho)\\, g \\odot g, \\qquad
              \\theta \\leftarrow \\theta - \\eta\\, g \\oslash \\sqrt{s + \\epsilon}

    Every parameter gets its own step size, :math:`\\eta / \\sqrt{s_i}`: large
    where gradients have been large, small where they have been small. The
    moving average is a *sum* with weights :math:`\\rho` and :math:`1 - \\rho`
    (a minus sign in front of :math:`(1 - \\rho)` would make :math:`s`
    negative and its square root undefined). :math:`\\epsilon` sits inside the
    square root, as in ``keras.optimizers.RMSprop`` (with ``momentum=0``,
    ``centered=False``), which is the same rule; PyTorch adds it to
    :math:`\\sqrt{s}` instead. ``state`` a :class:`RMSPropState`.
    Returns ``(theta_new, state_new)``.
    """
    theta, gradient = _prepare(theta, gradient, state, RMSPropState)
    eta, rho = validation.positive("learning_rate", learning_rate), _decay("rho", rho)
    epsilon = validation.number("epsilon", epsilon, 0)
    s = rho * state.s + (1.0 - rho) * gradient * gradient
    step = eta * gradient / np.sqrt(s + epsilon)
    return theta - step, RMSPropState(s)


def _moments(gradient, state, beta_1: float, beta_2: float) -> tuple[np.ndarray, np.ndarray]:
    """:math:`m = \\beta_1 m + (1 - \\beta_1) g` and :math:`v = \\beta_2 v + (1 - \\beta_2) g^2`."""
    m = beta_1 * state.m + (1.0 - beta_1) * gradient
    v = beta_2 * state.v + (1.0 - beta_2) * gradient * gradient
    return m, v


def adam_step(theta, gradient, state, learning_rate: float = 0.001, beta_1: float = 0.9,
              beta_2: float = 0.999, epsilon: float = 1e-7, form: str = "textbook"):
    """Adam: momentum and RMSProp together, with bias correction (Kingma and Ba 2015).

    With :math:`t` the number of this step (1 for the first):

    .. math::
        m &\\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\qquad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2) g \\odot g, \\\\
        \\hat m &= \\frac{m}{1 - \\beta_1^t}, \\qquad \\hat v = \\frac{v}{1 - \\beta_2^t}, \\qquad
        \\theta \\leftarrow \\theta - \\eta \\, \\hat m \\oslash (\\sqrt{\\hat v} + \\epsilon).

    The moments start at zero, so early on they are biased towards zero by
    the factor :math:`1 - \\beta^t`; dividing by it removes the bias.
    ``form="keras"`` is ``keras.optimizers.Adam``: it folds the corrections
    into the learning rate and adds :math:`\\hat\\epsilon` (= ``epsilon``) to
    the uncorrected :math:`\\sqrt{v}`,

    .. math:: \\eta_t = \\eta \\frac{\\sqrt{1 - \\beta_2^t}}{1 - \\beta_1^t}, \\qquad
              \\theta \\leftarrow \\theta - \\eta_t \\, m \\oslash (\\sqrt{v} + \\hat\\epsilon),

    which is the textbook rule with :math:`\\epsilon = \\hat\\epsilon / \\sqrt{1 - \\beta_2^t}`,
    a little larger in the first steps; with :math:`\\epsilon = 0` the forms agree.
    ``state`` an :class:`AdamState`. Returns ``(theta_new, state_new)``.
    """
    form = validation.choice("form", form, FORMS)
    theta, gradient = _prepare(theta, gradient, state, AdamState)
    eta = validation.positive("learning_rate", learning_rate)
    epsilon = validation.number("epsilon", epsilon, 0)
    beta_1, beta_2 = _decay("beta_1", beta_1), _decay("beta_2", beta_2)
    t = int(state.t) + 1
    m, v = _moments(gradient, state, beta_1, beta_2)
    if form == "textbook":
        m_hat, v_hat = m / (1.0 - beta_1**t), v / (1.0 - beta_2**t)
        step = eta * m_hat / (np.sqrt(v_hat) + epsilon)
    else:
        eta_t = eta * np.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        step = eta_t * m / (np.sqrt(v) + epsilon)
    return theta - step, AdamState(m, v, t)


def nadam_momentum(t: int, beta_1: float = 0.9, form: str = "textbook") -> float:
    """Nadam's momentum coefficient :math:`u_t` of step ``t`` (from 1).

    Textbook: the constant :math:`u_t = \\beta_1`. Keras 3:
    :math:`u_t = \\beta_1 (1 - \\tfrac12\\, 0.96^t)`, which warms up from
    :math:`0.52\\,\\beta_1` at :math:`t = 1` to :math:`\\beta_1`. (Keras 2 and PyTorch
    use the slower :math:`0.96^{0.004 t}` that Dozat recommends.)
    """
    form = validation.choice("form", form, FORMS)
    t = validation.integer("t", t, 1)
    beta_1 = _decay("beta_1", beta_1)
    if form == "textbook":
        return beta_1
    return beta_1 * (1.0 - 0.5 * NADAM_DECAY ** float(t))


def nadam_step(theta, gradient, state, learning_rate: float = 0.001, beta_1: float = 0.9,
               beta_2: float = 0.999, epsilon: float = 1e-7, form: str = "textbook"):
    """Nadam: Adam whose first moment looks ahead like Nesterov's method (Dozat 2016).

    With :math:`t` the number of this step (1 for the first), :math:`u_t`
    from :func:`nadam_momentum` and :math:`\\Pi_t = \\prod_{i \\le t} u_i`:

    .. math::
        m &\\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\qquad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2) g \\odot g, \\\\
        \\hat m &= \\frac{u_{t+1}\\, m}{1 - \\Pi_{t+1}} + \\frac{(1 - u_t)\\, g}{1 - \\Pi_t},
        \\qquad \\hat v = \\frac{v}{1 - \\beta_2^t}, \\qquad
        \\theta \\leftarrow \\theta - \\eta\\, \\hat m \\oslash (\\sqrt{\\hat v} + \\epsilon).

    Where Adam steps along its bias-corrected :math:`m`, Nadam steps along
    next step's momentum part plus this step's gradient part: the look-ahead
    of Nesterov applied to Adam. In the textbook form :math:`u_t = \\beta_1`,
    so :math:`\\hat m = \\beta_1 m / (1 - \\beta_1^{t+1}) + (1 - \\beta_1) g / (1 - \\beta_1^t)`.
    ``form="keras"`` is ``keras.optimizers.Nadam``, whose :math:`u_t` follows
    a warm-up schedule. ``state`` a :class:`NadamState`. Returns ``(theta_new, state_new)``.
    (On the TensorFlow backend Keras computes :math:`u_t` with 0.96 rounded to
    float32, 0.95999998; :func:`nadam_momentum` uses 0.96, so the two differ
    by about 1e-8 relative.)
    """
    form = validation.choice("form", form, FORMS)
    theta, gradient = _prepare(theta, gradient, state, NadamState)
    eta = validation.positive("learning_rate", learning_rate)
    epsilon = validation.number("epsilon", epsilon, 0)
    beta_1, beta_2 = _decay("beta_1", beta_1), _decay("beta_2", beta_2)
    t = int(state.t) + 1
    u_t, u_next = nadam_momentum(t, beta_1, form), nadam_momentum(t + 1, beta_1, form)
    product = float(state.mu_product) * u_t
    m, v = _moments(gradient, state, beta_1, beta_2)
    m_hat = u_next * m / (1.0 - product * u_next) + (1.0 - u_t) * gradient / (1.0 - product)
    v_hat = v / (1.0 - beta_2**t)
    return theta - eta * m_hat / (np.sqrt(v_hat) + epsilon), NadamState(m, v, t, product)


_STEPS = {"sgd": sgd_step, "momentum": momentum_step, "nesterov": nesterov_step,
          "rmsprop": rmsprop_step, "adam": adam_step, "nadam": nadam_step}
_HAS_FORM = ("nesterov", "adam", "nadam")


def step_function(optimizer: str) -> Callable:
    """The step function of ``optimizer``, e.g. ``step_function("adam") is adam_step``."""
    return _STEPS[validation.choice("optimizer", optimizer, OPTIMIZERS)]


# ---------------------------------------------------------------------------
# A test function


def _check_points(x) -> np.ndarray:
    """``x``, one point of the plane ``(2,)`` or ``M`` of them ``(M, 2)``."""
    x = validation.float_array("x", x)
    if x.ndim not in (1, 2) or x.shape[-1] != 2:
        raise ValueError(f"x must have shape (2,) or (M, 2), got {x.shape}")
    return x


def rosenbrock(x, a: float = 1.0, b: float = 100.0):
    """Rosenbrock's banana valley, :math:`f(x, y) = (a - x)^2 + b (y - x^2)^2`.

    The minimum is :math:`f = 0` at :math:`(a, a^2)`, at the end of a long,
    curved, flat-bottomed valley whose walls are steep (curvature about
    :math:`8 b x^2` across it, 2 along it): a classic hard case for gradient
    descent. ``x`` is one point ``(2,)`` (returns a float) or ``M`` points
    ``(M, 2)`` (returns ``(M,)``, for contour plots).
    """
    x = _check_points(x)
    u, w = x[..., 0], x[..., 1]
    return (a - u) ** 2 + b * (w - u**2) ** 2


def rosenbrock_gradient(x, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """The gradient of :func:`rosenbrock`, like ``x``.

    .. math:: \\nabla f = \\big(-2 (a - x) - 4 b x (y - x^2),\\ 2 b (y - x^2)\\big)
    """
    x = _check_points(x)
    u, w = x[..., 0], x[..., 1]
    return np.stack([-2.0 * (a - u) - 4.0 * b * u * (w - u**2), 2.0 * b * (w - u**2)], axis=-1)


def rosenbrock_hessian(x, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """The ``(2, 2)`` Hessian of :func:`rosenbrock` at one point ``x`` ``(2,)``.

    .. math:: H = \\begin{pmatrix} 2 - 4 b (y - x^2) + 8 b x^2 & -4 b x \\\\
                                    -4 b x & 2 b \\end{pmatrix}

    At the minimum :math:`(1, 1)` with ``b = 100`` its eigenvalues are about
    1001.6 and 0.4: a condition number of about 2500.
    """
    x = _check_points(x)
    if x.shape != (2,):
        raise ValueError(f"x must be one point of shape (2,), got {x.shape}")
    u, w = x
    return np.array([[2.0 - 4.0 * b * (w - u**2) + 8.0 * b * u**2, -4.0 * b * u],
                     [-4.0 * b * u, 2.0 * b]])


# ---------------------------------------------------------------------------
# Many steps


def _hyperparameters(optimizer: str, form: str, hyperparameters: dict) -> dict:
    unknown = set(hyperparameters) - set(DEFAULTS[optimizer])
    if unknown:
        raise ValueError(f"{optimizer} takes the hyperparameters {sorted(DEFAULTS[optimizer])}, "
                         f"got unknown {sorted(unknown)}")
    chosen = {**DEFAULTS[optimizer], **hyperparameters}
    form = validation.choice("form", form, FORMS)
    if optimizer in _HAS_FORM:
        chosen["form"] = form
    return chosen


def _run(optimizer, theta0, next_gradient: Callable, steps: int, form: str,
         hyperparameters: dict) -> Trajectory:
    """``steps`` steps of ``optimizer``; ``next_gradient(i, point)`` gives step i's gradient."""
    optimizer = validation.choice("optimizer", optimizer, OPTIMIZERS)
    hyper = _hyperparameters(optimizer, form, hyperparameters)
    theta = validation.float_array("theta0", theta0)
    step, state = _STEPS[optimizer], initial_state(optimizer, theta)
    lookahead = optimizer == "nesterov" and hyper["form"] == "textbook"
    points = [theta]
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(steps):
            at = nesterov_lookahead(theta, state, hyper["beta"]) if lookahead else theta
            gradient = np.asarray(next_gradient(i, at), dtype=np.float64)
            if gradient.shape != theta.shape:
                raise ValueError(f"the gradient must have the shape of theta0 {theta.shape}, "
                                 f"got {gradient.shape}")
            if not np.all(np.isfinite(gradient)):
                return Trajectory(np.array(points), overflowed=True)
            theta, state = step(theta, gradient, state, **hyper)
            if not np.all(np.isfinite(theta)):
                return Trajectory(np.array(points), overflowed=True)
            points.append(theta)
    return Trajectory(np.array(points), overflowed=False)


def optimize(optimizer: str, gradient: Callable, theta0, steps: int, form: str = "textbook",
             **hyperparameters) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps on a function with gradient ``gradient``.

    ``gradient`` maps a point ``(D,)`` to the gradient there ``(D,)``. The
    textbook Nesterov method evaluates it at :func:`nesterov_lookahead`; all
    others (and Keras' Nesterov) at the current parameters. Hyperparameters
    not given take the Keras defaults (:data:`DEFAULTS`). Returns the
    :class:`~dlbook.gradient_descent.Trajectory` of ``steps + 1`` points, or
    fewer with ``overflowed=True`` if the iterates left the float64 range.
    """
    validation.function("gradient", gradient)
    steps = validation.integer("steps", steps, 0)
    return _run(optimizer, theta0, lambda _, point: gradient(point), steps, form, hyperparameters)


def replay(optimizer: str, theta0, gradients, form: str = "textbook",
           **hyperparameters) -> np.ndarray:
    """Feed a fixed sequence of gradients to ``optimizer``; the parameters after each step.

    ``gradients`` ``(T, D)`` holds one gradient per step, whatever the
    parameters are (a pre-drawn random sequence, say). Returns ``(T + 1, D)``:
    ``theta0`` and the parameters after each of the T steps.
    """
    theta0, gradients = _check_replay(theta0, gradients)
    return _run(optimizer, theta0, lambda i, _: gradients[i], len(gradients), form,
                hyperparameters).points


def _check_replay(theta0, gradients) -> tuple[np.ndarray, np.ndarray]:
    """``theta0`` and ``gradients`` ``(T, *theta0.shape)``, one gradient per step."""
    theta0 = validation.float_array("theta0", theta0)
    gradients = validation.float_array("gradients", gradients)
    if gradients.ndim != theta0.ndim + 1 or gradients.shape[1:] != theta0.shape:
        raise ValueError(f"gradients must have shape (T, {', '.join(map(str, theta0.shape))}), "
                         f"got {gradients.shape}")
    return theta0, gradients


def max_relative_difference(a, b) -> float:
    """The largest relative difference of two trajectories ``(T + 1, D)``, step by step.

    .. math:: \\max_t \\frac{\\lVert a_t - b_t \\rVert}{\\lVert b_t \\rVert}

    (with the denominator floored at 1e-300).
    """
    a, b = validation.float_array("a", a), validation.float_array("b", b)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a and b must be trajectories of the same shape (T + 1, D), "
                         f"got {a.shape} and {b.shape}")
    norms = np.maximum(np.linalg.norm(b, axis=1), 1e-300)
    return float(np.max(np.linalg.norm(a - b, axis=1) / norms))


# ---------------------------------------------------------------------------
# The same optimizers in Keras (Keras is imported only inside these functions)


def keras_optimizer(optimizer: str, float64: bool = False, **hyperparameters):
    """The ``keras.optimizers`` instance matching ``optimizer`` with the same hyperparameters.

    ``sgd`` -> ``SGD``, ``momentum`` -> ``SGD(momentum=beta)``, ``nesterov``
    -> ``SGD(momentum=beta, nesterov=True)``, ``rmsprop`` -> ``RMSprop``,
    ``adam`` -> ``Adam``, ``nadam`` -> ``Nadam``. Keras keeps its learning rate
    in a float32 variable, so ``0.01`` becomes 0.009999999776, and on the
    TensorFlow backend ``ops.cast`` turns a Python-float hyperparameter into a
    float32 tensor before casting it to the variable's dtype (``beta_1 = 0.9``
    is used as 0.8999999762 in :math:`\\beta_1^t`). ``float64=True`` keeps the
    learning rate in float64 and passes every hyperparameter as a NumPy
    float64, which stays exact: for step-by-step comparisons in float64.
    """
    from dlbook.keras_import import keras

    optimizer = validation.choice("optimizer", optimizer, OPTIMIZERS)
    hyper = _hyperparameters(optimizer, "textbook", hyperparameters)
    hyper.pop("form", None)
    if "beta" in hyper:
        hyper["momentum"] = hyper.pop("beta")
    validation.boolean("float64", float64)

    classes = {"sgd": keras.optimizers.SGD, "momentum": keras.optimizers.SGD,
               "nesterov": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop,
               "adam": keras.optimizers.Adam, "nadam": keras.optimizers.Nadam}
    if float64:  # NumPy scalars: TensorFlow would round a Python float to float32 in ops.cast
        hyper = {key: np.float64(value) for key, value in hyper.items()}
        backend.enable_float64()
    if optimizer == "nesterov":
        hyper["nesterov"] = True
    with _floatx("float64") if float64 else contextlib.nullcontext():
        return classes[optimizer](**hyper)


@contextlib.contextmanager
def _floatx(dtype: str):
    from dlbook.keras_import import keras

    previous = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(previous)


def _keras_run(optimizer, theta0, next_gradient: Callable, steps: int,
               hyperparameters: dict) -> np.ndarray:
    from dlbook.keras_import import keras

    theta0 = validation.float_array("theta0", theta0)
    opt = keras_optimizer(optimizer, float64=True, **hyperparameters)
    variable = keras.Variable(theta0, dtype="float64", name="theta")
    points = [theta0]
    for i in range(steps):
        gradient = np.asarray(next_gradient(i, np.asarray(variable.numpy())), dtype=np.float64)
        opt.apply([keras.ops.convert_to_tensor(gradient, dtype="float64")], [variable])
        points.append(np.array(variable.numpy(), dtype=np.float64))
    return np.array(points)


def keras_replay(optimizer: str, theta0, gradients, **hyperparameters) -> np.ndarray:
    """:func:`replay` with the Keras optimizer on a float64 ``keras.Variable``: ``(T + 1, D)``."""
    theta0, gradients = _check_replay(theta0, gradients)
    return _keras_run(optimizer, theta0, lambda i, _: gradients[i], len(gradients),
                      hyperparameters)


def keras_agreement(optimizer: str, theta0, gradients, form: str = "keras",
                    **hyperparameters) -> float:
    """How closely :func:`replay` follows Keras on the same gradients: a relative difference.

    :func:`max_relative_difference` between the NumPy trajectory in ``form``
    and :func:`keras_replay`'s, both ``(T + 1, D)``. About 1e-16 for the
    Keras form (1e-8 for Nadam, whose Keras code rounds the constant 0.96 to
    float32 in :math:`u_t`); larger for a textbook form that differs.
    """
    ours = replay(optimizer, theta0, gradients, form, **hyperparameters)
    return max_relative_difference(ours, keras_replay(optimizer, theta0, gradients,
                                                      **hyperparameters))


def keras_optimize(optimizer: str, gradient: Callable, theta0, steps: int,
                   **hyperparameters) -> np.ndarray:
    """:func:`optimize` with the Keras optimizer: ``gradient`` is evaluated at Keras' variable.

    Returns the ``(steps + 1, D)`` values of the variable. For ``"nesterov"``
    the variable is the look-ahead point :math:`\\phi = \\theta + \\beta m`
    (see :func:`nesterov_step`).
    """
    validation.function("gradient", gradient)
    steps = validation.integer("steps", steps, 0)
    return _keras_run(optimizer, theta0, lambda _, point: gradient(point), steps, hyperparameters)
