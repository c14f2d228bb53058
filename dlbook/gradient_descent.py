"""Gradient descent: the algorithm every network in the book is trained with.

Two kinds of function live here. The optimizers move parameters downhill:

- :func:`gradient_descent` on a function, :math:`x_{i+1} = x_i - \\eta \\nabla f(x_i)`;
- :func:`minibatch_gradient_descent` on a model's loss over a dataset, which is
  batch (:math:`B = N`), stochastic (:math:`B = 1`) or mini-batch gradient descent,
  one :func:`minibatch_step` per mini-batch;
- :func:`newton_method`, the second-order method it is compared with.

The objectives give them something to descend, each as a loss and its gradient:
a quadratic bowl, logistic regression (convex) and a two-hidden-unit tanh
network (non-convex), built on the losses of chapter 1 (:mod:`dlbook.losses`).
Parameters are always one flat float64 vector, so any objective can be checked
with :func:`dlbook.gradcheck.numerical_gradient`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from dlbook import losses, validation
from dlbook.activations import sigmoid

Gradient = Callable[[np.ndarray], np.ndarray]
LossAndGradient = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[float, np.ndarray]]


class Trajectory(NamedTuple):
    """The iterates of an optimizer on a function.

    ``points`` has shape ``(steps + 1, D)``: the start and every iterate after
    it. If an iterate overflowed to inf or NaN, the run stopped there,
    ``points`` holds only the finite iterates before it and ``overflowed`` is
    True; a trajectory is never silently padded with NaN.
    """

    points: np.ndarray
    overflowed: bool


class History(NamedTuple):
    """What :func:`minibatch_gradient_descent` records.

    With S = ``epochs * steps_per_epoch`` steps, ``params`` ``(S + 1, P)``
    holds the parameters at the start and after every step, ``batch_loss``
    ``(S,)`` the loss on the mini-batch at each step (the noisy signal the
    optimizer itself sees) and ``epoch_loss`` ``(epochs + 1,)`` the loss on the
    whole training set at the start and after every epoch.
    """

    params: np.ndarray
    epoch_loss: np.ndarray
    batch_loss: np.ndarray
    steps_per_epoch: int


# ---------------------------------------------------------------------------
# Input checks


def _check_dataset(X, y) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as float64 ``(N, D)`` and ``y`` as float64 ``(N,)``, one label per row of ``X``."""
    X = validation.float_array("X", X, "(N, D)")
    y = validation.float_array("y", y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    return X, y


def _check_params(name: str, params, size: int) -> np.ndarray:
    """``params`` as a float64 vector of the ``(size,)`` another argument sets."""
    params = validation.float_array(name, params, "(D,)")
    if params.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {params.shape}")
    return params


def _check_batch_size(batch_size, n_samples: int) -> int:
    """``batch_size``, at most the ``n_samples`` of the dataset."""
    batch_size = validation.integer("batch_size", batch_size, 1)
    if batch_size > n_samples:
        raise ValueError(f"batch_size must be in [1, N={n_samples}], got {batch_size}")
    return batch_size


# ---------------------------------------------------------------------------
# Optimizers on a function


def _evaluate(name: str, f: Callable, x: np.ndarray, shape: tuple) -> np.ndarray:
    """``f(x)`` as float64, checked to have ``shape`` so that a wrong one cannot broadcast."""
    value = np.asarray(f(x), dtype=np.float64)
    if value.shape != shape:
        raise ValueError(f"{name} must return shape {shape}, got {value.shape}")
    return value


def _iterate(update: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, steps: int) -> Trajectory:
    """Apply ``x <- update(x)`` ``steps`` times, stopping at the first non-finite iterate."""
    points = [x0]
    # Overflow is the divergence the caller asked to see; it is reported by the flag.
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            x = update(points[-1])
            if not np.all(np.isfinite(x)):
                return Trajectory(np.array(points), overflowed=True)
            points.append(x)
    return Trajectory(np.array(points), overflowed=False)


def gradient_descent(gradient: Gradient, x0, learning_rate: float, steps: int) -> Trajectory:
    """Gradient descent on a function: :math:`x_{i+1} = x_i - \\eta \\nabla f(x_i)`.

    ``gradient`` maps a point ``(D,)`` to :math:`\\nabla f` there, ``(D,)``;
    ``x0`` ``(D,)`` is the start and ``learning_rate`` is :math:`\\eta`.
    Returns the :class:`Trajectory` of ``steps + 1`` points, or fewer with
    ``overflowed=True`` if the iterates diverged past the float64 range.
    """
    validation.function("gradient", gradient)
    x0 = validation.float_array("x0", x0, "(D,)")
    eta = validation.positive("learning_rate", learning_rate)
    steps = validation.integer("steps", steps, 0)
    return _iterate(lambda x: x - eta * _evaluate("gradient", gradient, x, x.shape), x0, steps)


def newton_method(gradient: Gradient, hessian: Gradient, x0, steps: int) -> Trajectory:
    """Newton's method: :math:`x_{i+1} = x_i - H(x_i)^{-1} \\nabla f(x_i)`.

    ``hessian`` maps a point ``(D,)`` to the ``(D, D)`` matrix of second
    derivatives :math:`H`, which must be invertible along the way. Each step
    solves a D x D linear system, O(D^3) time and O(D^2) memory, where a
    gradient step costs O(D). Returns a :class:`Trajectory` like
    :func:`gradient_descent`.
    """
    validation.function("gradient", gradient)
    validation.function("hessian", hessian)
    x0 = validation.float_array("x0", x0, "(D,)")
    steps = validation.integer("steps", steps, 0)

    def step(x):
        H = _evaluate("hessian", hessian, x, (x.size, x.size))
        return x - np.linalg.solve(H, _evaluate("gradient", gradient, x, x.shape))

    return _iterate(step, x0, steps)


def critical_learning_rate(hessian) -> float:
    """The largest stable learning rate on a quadratic, :math:`2 / L`.

    On :math:`f(x) = \\tfrac12 (x - x^*)^\\top A (x - x^*)` gradient descent
    multiplies the error along the i-th eigenvector of ``A`` by
    :math:`1 - \\eta \\lambda_i` at every step. It converges from every start
    iff :math:`|1 - \\eta\\lambda_i| < 1` for all i, i.e.
    :math:`0 < \\eta < 2 / L` with :math:`L = \\lambda_{\\max}(A)`.
    ``hessian`` is the symmetric positive definite ``(D, D)`` matrix ``A``.
    """
    A = _check_spd("hessian", hessian)
    return 2.0 / float(np.linalg.eigvalsh(A)[-1])


# ---------------------------------------------------------------------------
# Objectives: a quadratic bowl


def _check_spd(name: str, A) -> np.ndarray:
    A = validation.float_array(name, A)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.size == 0:
        raise ValueError(f"{name} must be a square (D, D) matrix, got shape {A.shape}")
    if not np.allclose(A, A.T):
        raise ValueError(f"{name} must be symmetric")
    smallest = np.linalg.eigvalsh(A)[0]
    if smallest <= 0:
        raise ValueError(f"{name} must be positive definite; its smallest eigenvalue is "
                         f"{smallest:.3g}")
    return A


def _check_quadratic(x, A, x_star) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points ``x``, ``A`` ``(D, D)`` and ``x_star`` ``(D,)``, their sizes matching."""
    A = _check_spd("A", A)
    x_star = _check_params("x_star", x_star, A.shape[0])
    x = validation.float_array("x", x)
    if x.ndim not in (1, 2) or x.shape[-1] != A.shape[0]:
        raise ValueError(f"x must have shape ({A.shape[0]},) or (M, {A.shape[0]}), got {x.shape}")
    return x, A, x_star


def quadratic_loss(x, A, x_star) -> np.ndarray:
    """A quadratic bowl, :math:`f(x) = \\tfrac12 (x - x^*)^\\top A (x - x^*)`.

    ``A`` ``(D, D)`` symmetric positive definite is the Hessian and ``x_star``
    ``(D,)`` the minimizer. ``x`` is one point ``(D,)`` (returns a float) or
    ``M`` points ``(M, D)`` (returns ``(M,)``, for contour plots).
    """
    x, A, x_star = _check_quadratic(x, A, x_star)
    e = x - x_star
    return 0.5 * np.einsum("...i,ij,...j->...", e, A, e)


def quadratic_gradient(x, A, x_star) -> np.ndarray:
    """The gradient of :func:`quadratic_loss`, :math:`\\nabla f(x) = A (x - x^*)`, like ``x``."""
    x, A, x_star = _check_quadratic(x, A, x_star)
    return (x - x_star) @ A.T


# ---------------------------------------------------------------------------
# Objectives: logistic regression (convex)


def logistic_regression_loss_and_gradient(w, X, y) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of :math:`\\hat y = \\sigma(X w)` and its gradient.

    .. math::
        L(w) = \\frac1N \\sum_n -y_n \\log \\hat y_n - (1 - y_n) \\log (1 - \\hat y_n)
             = \\frac1N \\sum_n \\log(1 + e^{z_n}) - y_n z_n, \\quad z = X w,

        \\nabla L(w) = \\frac1N X^\\top (\\hat y - y).

    ``X`` ``(N, D)``, labels ``y`` ``(N,)`` in [0, 1], weights ``w`` ``(D,)``.
    For a bias, give ``X`` a column of ones (the bias unit :math:`x_0 = 1`).
    The loss is convex in ``w``: its Hessian (see
    :func:`logistic_regression_hessian`) is positive semidefinite.
    """
    X, y = _check_dataset(X, y)
    w = _check_params("w", w, X.shape[1])
    z = X @ w
    # Chain rule through z = X w: dL/dw = X^T dL/dz, and dL/dz = (y_hat - y) / N.
    return (losses.binary_crossentropy_from_logits(y, z),
            X.T @ losses.binary_crossentropy_from_logits_grad(y, z))


def logistic_regression_hessian(w, X) -> np.ndarray:
    """The Hessian of the logistic-regression loss, ``(D, D)``.

    .. math:: H(w) = \\frac1N X^\\top \\operatorname{diag}\\big(\\hat y (1 - \\hat y)\\big) X,
              \\quad \\hat y = \\sigma(X w),

    positive semidefinite for every ``w`` (hence the loss is convex). It does
    not depend on the labels.
    """
    X = validation.float_array("X", X, "(N, D)")
    w = _check_params("w", w, X.shape[1])
    p = sigmoid(X @ w)
    return (X.T * (p * (1.0 - p))) @ X / X.shape[0]


# ---------------------------------------------------------------------------
# Objectives: a two-hidden-unit tanh network (non-convex)


def _tanh_hidden(b, X, w, v) -> tuple[np.ndarray, np.ndarray]:
    """The hidden activations ``tanh(X w + b)`` ``(N, H)`` and the checked ``v`` ``(H,)``."""
    X = validation.float_array("X", X, "(N, 1)")
    if X.shape[1] != 1:
        raise ValueError(f"X must have shape (N, 1), got {X.shape}")
    v = validation.float_array("v", v, "(H,)")
    w = _check_params("w", w, v.size)
    b = _check_params("b", b, v.size)
    return np.tanh(X * w + b), v


def tanh_network_predict(b, X, w, v) -> np.ndarray:
    """A 1-H-1 tanh network, :math:`\\hat y_n = \\sum_h v_h \\tanh(w_h x_n + b_h)`.

    ``X`` ``(N, 1)`` scalar inputs; hidden biases ``b``, input weights ``w``
    and output weights ``v``, each ``(H,)``. Returns ``(N,)``.
    """
    hidden, v = _tanh_hidden(b, X, w, v)
    return hidden @ v


def tanh_network_loss_and_gradient(b, X, y, w, v) -> tuple[float, np.ndarray]:
    """Mean squared error of :func:`tanh_network_predict` and its gradient in the biases ``b``.

    .. math::
        L(b) = \\frac1N \\sum_n (\\hat y_n - y_n)^2, \\qquad
        \\frac{\\partial L}{\\partial b_h}
            = \\frac2N \\sum_n (\\hat y_n - y_n)\\, v_h \\big(1 - \\tanh^2(w_h x_n + b_h)\\big).

    Only the hidden biases ``b`` ``(H,)`` are trained; the weights ``w`` and
    ``v`` stay fixed, so with ``H = 2`` the whole loss surface is a picture.
    It is not convex: the two hidden units can trade jobs, and when
    ``v_1 != v_2`` the traded solution is a worse local minimum.
    ``X`` is ``(N, 1)``, ``y`` ``(N,)``.
    """
    X, y = _check_dataset(X, y)
    hidden, v = _tanh_hidden(b, X, w, v)
    y_hat = hidden @ v
    # Chain rule: dL/db_h = sum_n dL/dy_hat_n * v_h * tanh'(z_nh).
    gradient = v * ((1.0 - hidden**2).T @ losses.mse_grad(y, y_hat))
    return losses.mse(y, y_hat), gradient


def tanh_network_hessian(b, X, y, w, v) -> np.ndarray:
    """The ``(H, H)`` Hessian of :func:`tanh_network_loss_and_gradient` in the biases ``b``.

    With :math:`t_{nh} = \\tanh(w_h x_n + b_h)`, :math:`s_{nh} = 1 - t_{nh}^2` and
    residual :math:`r_n = \\hat y_n - y_n`,

    .. math:: \\frac{\\partial^2 L}{\\partial b_h \\partial b_k} = \\frac2N \\sum_n
              v_h s_{nh} v_k s_{nk} - \\delta_{hk}\\, 2 r_n v_h t_{nh} s_{nh}.

    The second term can make it indefinite: the loss has saddle points.
    """
    X, y = _check_dataset(X, y)
    hidden, v = _tanh_hidden(b, X, w, v)
    residual = hidden @ v - y
    slope = 1.0 - hidden**2  # (N, H)
    jacobian = slope * v  # d y_hat_n / d b_h
    curvature = -2.0 * v * (residual @ (hidden * slope))  # d^2 y_hat / d b_h^2, weighted
    return 2.0 * (jacobian.T @ jacobian + np.diag(curvature)) / X.shape[0]


# ---------------------------------------------------------------------------
# Optimizers on a model's loss over a dataset


def minibatch_indices(n_samples: int, batch_size: int, rng: np.random.Generator) -> list:
    """One epoch's mini-batches: a shuffled ``range(n_samples)`` cut into pieces of ``batch_size``.

    The last batch is smaller when ``batch_size`` does not divide
    ``n_samples`` (as in Keras), so every example is used once per epoch.
    """
    n_samples = validation.integer("n_samples", n_samples, 1)
    batch_size = _check_batch_size(batch_size, n_samples)
    validation.generator("rng", rng)
    order = rng.permutation(n_samples)
    return [order[start:start + batch_size] for start in range(0, n_samples, batch_size)]


def minibatch_step(loss_and_gradient: LossAndGradient, w, X_batch, y_batch,
                   learning_rate: float) -> tuple[float, np.ndarray]:
    """One step of gradient descent on a mini-batch :math:`\\mathcal B` of B examples.

    .. math:: w \\leftarrow w - \\eta \\, \\mathbf g_B, \\qquad
              \\mathbf g_B = \\frac1B \\sum_{n \\in \\mathcal B} \\nabla \\ell_n(w)

    ``loss_and_gradient(w, X_batch, y_batch)`` returns the mean loss over the
    batch and its gradient :math:`\\mathbf g_B` ``(P,)``. ``w`` ``(P,)``,
    ``X_batch`` ``(B, D)``, ``y_batch`` ``(B,)``. Returns the batch loss at
    ``w`` (before the step) and the new weights; ``w`` itself is not modified.
    """
    validation.function("loss_and_gradient", loss_and_gradient)
    X_batch, y_batch = _check_dataset(X_batch, y_batch)
    w = validation.float_array("w", w, "(P,)")
    eta = validation.positive("learning_rate", learning_rate)
    loss, gradient = loss_and_gradient(w, X_batch, y_batch)
    gradient = np.asarray(gradient, dtype=np.float64)
    if gradient.shape != w.shape:
        raise ValueError(f"loss_and_gradient must return a gradient of shape {w.shape}, "
                         f"got {gradient.shape}")
    return loss, w - eta * gradient


def minibatch_gradient_descent(
    loss_and_gradient: LossAndGradient,
    w0,
    X,
    y,
    batch_size: int,
    learning_rate: float,
    epochs: int,
    rng: np.random.Generator,
) -> History:
    """Mini-batch gradient descent on a model's loss over the dataset ``(X, y)``.

    .. math:: w \\leftarrow w - \\eta \\, \\frac1B \\sum_{n \\in \\mathcal B} \\nabla \\ell_n(w)

    Every epoch shuffles the ``N`` examples with ``rng`` and takes one step,
    :func:`minibatch_step`, per mini-batch :math:`\\mathcal B` of
    ``batch_size`` = B examples (:func:`minibatch_indices`).
    ``loss_and_gradient(w, X_batch, y_batch)`` returns the mean loss over the
    batch and its gradient, so the step uses the mean gradient of the B
    points. ``B = N`` is batch gradient descent, ``B = 1`` stochastic gradient
    descent. ``w0`` ``(P,)``, ``X`` ``(N, D)``, ``y`` ``(N,)``. Raises
    FloatingPointError if the loss or the weights become non-finite (a
    learning rate that is too large).
    """
    validation.function("loss_and_gradient", loss_and_gradient)
    X, y = _check_dataset(X, y)
    w = validation.float_array("w0", w0, "(P,)")
    batch_size = _check_batch_size(batch_size, X.shape[0])
    eta = validation.positive("learning_rate", learning_rate)
    epochs = validation.integer("epochs", epochs, 0)
    validation.generator("rng", rng)

    params, epoch_loss, batch_loss = [w], [loss_and_gradient(w, X, y)[0]], []
    # Overflow means divergence, which is raised as an error below rather than warned about.
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for batch in minibatch_indices(X.shape[0], batch_size, rng):
                loss, w = minibatch_step(loss_and_gradient, w, X[batch], y[batch], eta)
                if not (np.isfinite(loss) and np.all(np.isfinite(w))):
                    raise FloatingPointError(
                        f"minibatch gradient descent diverged in epoch {epoch + 1}: the loss or "
                        f"the weights became non-finite; lower learning_rate (got {eta})")
                batch_loss.append(loss)
                params.append(w)
            epoch_loss.append(loss_and_gradient(w, X, y)[0])
    steps_per_epoch = -(-X.shape[0] // batch_size)
    return History(np.array(params), np.array(epoch_loss), np.array(batch_loss), steps_per_epoch)


def minibatch_gradient_variance(
    loss_and_gradient: LossAndGradient,
    w,
    X,
    y,
    batch_size: int,
    n_draws: int,
    rng: np.random.Generator,
) -> float:
    """How far a mini-batch gradient strays from the full one: :math:`E\\lVert g_B - g \\rVert^2`.

    Estimated from ``n_draws`` mini-batches of ``batch_size`` examples drawn
    without replacement. Theory: with :math:`\\sigma^2` the mean squared
    deviation of one example's gradient from :math:`g`,
    :math:`E\\lVert g_B - g\\rVert^2 = \\frac{\\sigma^2}{B} \\frac{N - B}{N - 1}`,
    the price in noise of a step that costs B gradient evaluations instead of N.
    """
    validation.function("loss_and_gradient", loss_and_gradient)
    X, y = _check_dataset(X, y)
    w = validation.float_array("w", w, "(P,)")
    n_draws = validation.integer("n_draws", n_draws, 1)
    batch_size = _check_batch_size(batch_size, X.shape[0])
    validation.generator("rng", rng)
    full = np.asarray(loss_and_gradient(w, X, y)[1])
    squared_errors = []
    for _ in range(n_draws):
        batch = rng.choice(X.shape[0], size=batch_size, replace=False)
        g_batch = np.asarray(loss_and_gradient(w, X[batch], y[batch])[1])
        squared_errors.append(np.sum((g_batch - full) ** 2))
    return float(np.mean(squared_errors))
