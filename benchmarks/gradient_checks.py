"""Print the largest relative error of each gradient check of chapters 3, 5, 6, 8 and 9.

    .venv/bin/python benchmarks/gradient_checks.py [--seeds 5]

Each backward pass (or analytic gradient) is compared with central
differences (:func:`dlbook.gradcheck.numerical_gradient`) on random float64
inputs from several seeds; the table shows the worst relative error over the
seeds. The tests require each to be below 1e-7.
"""

from __future__ import annotations

import argparse

import numpy as np

from dlbook import backprop, initialization, normalization, optimizers, regularization
from dlbook.gradcheck import numerical_gradient, relative_error


def backprop_mlp(seed: int) -> dict[str, float]:
    """Chapter 3: the sigmoid network's weight gradients (cross-entropy)."""
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(12, 2)), rng.integers(0, 2, (12, 1)).astype(np.float64)
    weights = [rng.normal(size=(3, 3)), rng.normal(size=(1, 4))]
    grads = backprop.backward(weights, backprop.forward(weights, X)[1], y)

    def cost(W, i):
        trial = [W if j == i else w for j, w in enumerate(weights)]
        return backprop.cost(backprop.forward(trial, X)[0], y)

    return {f"ch03 dJ/dW({i + 1})": relative_error(
        grads[i], numerical_gradient(lambda W, i=i: cost(W, i), weights[i].copy()))
        for i in range(len(weights))}


def deep_network(seed: int) -> dict[str, float]:
    """Chapter 5: the deep MLP's gradients, for each activation."""
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    errors = {}
    for activation in ("sigmoid", "tanh", "relu", "elu", "selu"):
        weights, biases = initialization.init_network([4, 5, 5, 2], "glorot", rng)
        biases = [rng.normal(0, 0.1, b.shape) for b in biases]
        grads = initialization.loss_and_gradients(weights, biases, X, Y, activation)[1]

        def loss(W, activation=activation, weights=weights, biases=biases):
            return initialization.loss_and_gradients([W] + weights[1:], biases, X, Y, activation)[0]

        numeric = numerical_gradient(loss, weights[0].copy())
        errors[f"ch05 dJ/dW(1), {activation}"] = relative_error(grads.weights[0], numeric)
    return errors


def rosenbrock(seed: int) -> dict[str, float]:
    """Chapter 6: the Rosenbrock function's gradient."""
    x = np.random.default_rng(seed).uniform(-2, 2, 2)
    return {"ch06 Rosenbrock gradient": relative_error(
        optimizers.rosenbrock_gradient(x), numerical_gradient(optimizers.rosenbrock, x.copy()))}


def norms(seed: int) -> dict[str, float]:
    """Chapter 8: batch and layer normalization backward passes."""
    return {f"ch08 {layer} {name}": error
            for layer in ("batchnorm", "layernorm")
            for name, error in normalization.gradient_check(layer, seed=seed).items()}


def penalties_and_dropout(seed: int) -> dict[str, float]:
    """Chapter 9: the L1/L2 penalty gradients and inverted dropout's backward pass."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(5, 4))
    errors = {
        "ch09 L1 gradient": relative_error(regularization.l1_penalty_gradient(w, 0.01), numerical_gradient(
            lambda v: regularization.l1_penalty(v, 0.01), w.copy())),
        "ch09 L2 gradient": relative_error(regularization.l2_penalty_gradient(w, 0.01), numerical_gradient(
            lambda v: regularization.l2_penalty(v, 0.01), w.copy())),
    }
    x, dout = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    mask = regularization.dropout_mask(x.shape, 0.3, rng)
    cache = regularization.dropout_forward(x, 0.3, mask=mask)[1]
    numeric = numerical_gradient(
        lambda v: float(np.sum(dout * regularization.dropout_forward(v, 0.3, mask=mask)[0])), x.copy())
    errors["ch09 dropout backward"] = relative_error(regularization.dropout_backward(dout, cache), numeric)
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="random cases per check")
    args = parser.parse_args()
    worst: dict[str, float] = {}
    for seed in range(args.seeds):
        for check in (backprop_mlp, deep_network, rosenbrock, norms, penalties_and_dropout):
            for name, error in check(seed).items():
                worst[name] = max(worst.get(name, 0.0), error)
    width = max(map(len, worst))
    print(f"{'gradient check':<{width}}  largest relative error over {args.seeds} seeds")
    for name, error in worst.items():
        print(f"{name:<{width}}  {error:.1e}")


if __name__ == "__main__":
    main()
