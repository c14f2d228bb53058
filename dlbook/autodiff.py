"""Reverse-mode automatic differentiation from first principles (chapter 3).

Backpropagation was long derived by hand, layer type by layer type; today
frameworks derive it automatically. A :class:`Tensor` holds an array and
remembers the operation that made it and its inputs, so every computation
builds a graph. :meth:`Tensor.backward` then walks the graph from the output
back to the inputs in reverse topological order and applies the chain rule at
each node: for y = f(x), the gradient reaching x is the gradient of y times
the local derivative of f, summed over every use of x. Each operation knows
only its own local derivative; that is all autodiff needs.

:func:`mlp_gradients` runs the network of :mod:`dlbook.backprop` through it:
its gradients equal the hand-derived delta recursion to rounding error.
The design is Karpathy's micrograd, with arrays instead of scalars.
"""

from __future__ import annotations

import numpy as np

from dlbook import validation


class Tensor:
    """An array ``data`` that records how it was computed, and its gradient ``grad``."""

    __array_ufunc__ = None  # array * Tensor calls Tensor.__rmul__ instead of NumPy's loop

    def __init__(self, data, parents: tuple[Tensor, ...] = (), op: str = ""):
        self.data = validation.float_array("data", data)
        self.grad = np.zeros_like(self.data)
        self.parents, self.op = parents, op
        self.backward_step = lambda: None  # adds this node's gradient into its parents'

    def __repr__(self) -> str:
        return f"Tensor(shape={self.data.shape}, op={self.op!r})"

    # Each operation: compute the value, then say how the gradient flows back.

    def __add__(self, other) -> Tensor:
        """z = x + y (NumPy broadcasting): dz/dx = dz/dy = 1, summed over broadcast axes."""
        other = as_tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def backward_step():
            self.grad += unbroadcast(out.grad, self.data.shape)
            other.grad += unbroadcast(out.grad, other.data.shape)

        out.backward_step = backward_step
        return out

    def __mul__(self, other) -> Tensor:
        """z = x * y elementwise: dz/dx = y, dz/dy = x."""
        other = as_tensor(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def backward_step():
            self.grad += unbroadcast(out.grad * other.data, self.data.shape)
            other.grad += unbroadcast(out.grad * self.data, other.data.shape)

        out.backward_step = backward_step
        return out

    def __matmul__(self, other) -> Tensor:
        """Z = X W: dJ/dX = dJ/dZ W^T and dJ/dW = X^T dJ/dZ."""
        other = as_tensor(other)
        out = Tensor(self.data @ other.data, (self, other), "@")

        def backward_step():
            self.grad += out.grad @ other.data.T
            other.grad += self.data.T @ out.grad

        out.backward_step = backward_step
        return out

    @property
    def T(self) -> Tensor:  # noqa: N802 (NumPy's name)
        """The transpose; the gradient is transposed back."""
        out = Tensor(self.data.T, (self,), "T")

        def backward_step():
            self.grad += out.grad.T

        out.backward_step = backward_step
        return out

    def __neg__(self) -> Tensor:
        return self * -1.0

    def __sub__(self, other) -> Tensor:
        return self + (-as_tensor(other))

    def __rsub__(self, other) -> Tensor:
        return as_tensor(other) + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    def elementwise(self, value: np.ndarray, derivative: np.ndarray, op: str) -> Tensor:
        """z = f(x) elementwise with f(x) = ``value`` and f'(x) = ``derivative``: dz/dx = f'(x)."""
        out = Tensor(value, (self,), op)

        def backward_step():
            self.grad += out.grad * derivative

        out.backward_step = backward_step
        return out

    def sigmoid(self) -> Tensor:
        """sigma(x) = 1 / (1 + e^{-x}), sigma' = sigma (1 - sigma)."""
        s = np.exp(-np.logaddexp(0.0, -self.data))
        return self.elementwise(s, s * (1 - s), "sigmoid")

    def tanh(self) -> Tensor:
        """tanh' = 1 - tanh^2."""
        t = np.tanh(self.data)
        return self.elementwise(t, 1 - t**2, "tanh")

    def relu(self) -> Tensor:
        """max(0, x), with slope 0 at x = 0 as TensorFlow takes it."""
        return self.elementwise(np.maximum(self.data, 0.0), (self.data > 0).astype(float), "relu")

    def log(self) -> Tensor:
        """log' (x) = 1 / x."""
        return self.elementwise(np.log(self.data), 1 / self.data, "log")

    def mean(self) -> Tensor:
        """The mean of all entries: each entry gets 1/size of the gradient."""
        out = Tensor(self.data.mean(), (self,), "mean")

        def backward_step():
            self.grad += out.grad / self.data.size

        out.backward_step = backward_step
        return out

    def with_bias(self) -> Tensor:
        """[1, X]: a column of ones in front; the constant column passes no gradient back."""
        out = Tensor(np.hstack([np.ones((self.data.shape[0], 1)), self.data]), (self,), "bias")

        def backward_step():
            self.grad += out.grad[:, 1:]

        out.backward_step = backward_step
        return out

    def backward(self) -> None:
        """Fill ``grad`` of every tensor this one depends on with d(self)/d(tensor).

        Reverse topological order guarantees that a node's gradient is complete
        (every use of it has added its share) before it is passed further back.
        """
        if self.data.size != 1:
            raise ValueError(f"backward() starts from a scalar, got shape {self.data.shape}")
        for node in topological_order(self):
            node.grad = np.zeros_like(node.data)
        self.grad = np.ones_like(self.data)
        for node in reversed(topological_order(self)):
            node.backward_step()


def as_tensor(value) -> Tensor:
    """``value`` itself if it is a Tensor, else a constant Tensor of it."""
    return value if isinstance(value, Tensor) else Tensor(value)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes broadcasting added or stretched, back to ``shape``."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    stretched = tuple(axis for axis, n in enumerate(shape) if n == 1 and grad.shape[axis] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on, each after all of its parents (depth-first)."""
    order, seen = [], set()

    def visit(node: Tensor) -> None:
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order


HIDDEN = ("sigmoid", "tanh", "relu")


def mlp_gradients(weights, X, y, activation: str = "sigmoid") -> tuple[float, list[np.ndarray]]:
    """The cost J and dJ/dW(l) of :mod:`dlbook.backprop`'s network, by automatic differentiation.

    The same forward pass, Z(l+1) = [1, A(l)] W(l)^T with sigmoid outputs, and
    J = -mean[y log a(L) + (1 - y) log(1 - a(L))]; no derivative is written by hand.
    ``weights`` are the matrices W(l) of shape (n_{l+1}, n_l + 1), ``X`` is
    (N, n_1) and ``y`` (N, n_L) or (N,) for one output unit.
    """
    validation.choice("activation", activation, HIDDEN)
    params = [Tensor(validation.float_array(f"weights[{l}]", W, "(m, n + 1)"))
              for l, W in enumerate(weights)]
    a = Tensor(validation.float_array("X", X, "(N, n_1)"))
    for l, W in enumerate(params):
        if W.data.shape[1] != a.data.shape[1] + 1:  # the shapes must chain
            raise ValueError(f"weights[{l}] must have shape (m, {a.data.shape[1] + 1}), "
                             f"got {W.data.shape}")
        z = a.with_bias() @ W.T
        a = z.sigmoid() if l == len(params) - 1 else getattr(z, activation)()
    y = validation.float_array("y", y)
    if y.size != a.data.size:
        raise ValueError(f"y must have shape {a.data.shape} (or (N,) for one output unit), "
                         f"got {y.shape}")
    y = y.reshape(a.data.shape)
    cost = -(y * a.log() + (1 - y) * (1 - a).log()).mean()
    cost.backward()
    return float(cost.data), [W.grad for W in params]
