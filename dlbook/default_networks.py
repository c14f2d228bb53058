"""The two default network configurations of chapter 7, as data, and what turns them into a network.

:data:`DEFAULT_NETWORK` (He initialization, ELU, batch normalization if deep,
early stopping plus L2, momentum optimization, 1cycle) and
:data:`SELF_NORMALIZING_NETWORK` (LeCun initialization, SELU, no
normalization, alpha dropout if needed, standardized inputs) are
:class:`NetworkConfig` tables; :func:`config_rows` writes one as the chapter's
table. :func:`build_from_config`, :func:`optimizer_from_config` and
:func:`callbacks_from_config` turn a table into a Keras network, its optimizer
and its callbacks, and :func:`standardize` prepares the inputs of a table that
asks for it. Keras is imported only inside the three builders.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlbook import validation

OPTIMIZERS = ("momentum", "rmsprop", "nadam")
DROPOUT_LAYERS = ("dropout", "alpha_dropout")
SCHEDULES = ("1cycle", "constant")


@dataclass(frozen=True)
class NetworkConfig:
    """A default network configuration: the settings of one column of the chapter's table.

    ``kernel_initializer`` and ``activation`` are Keras names.
    ``batch_norm_from``: batch normalization after every hidden Dense layer
    (before its activation) when the network has at least that many hidden
    layers; None: never. ``l2``: the L2 penalty on every kernel (0: none).
    ``dropout``: the dropout layer used when a rate is given (``"dropout"``,
    ``"alpha_dropout"`` or None) and ``dropout_rate`` its default rate (0:
    only if needed). ``early_stopping_patience``: None for no early stopping.
    ``optimizer`` is one of ``"momentum"``, ``"rmsprop"``, ``"nadam"`` and
    ``alternatives`` the others the table allows; ``momentum`` is its momentum
    (:math:`\\beta`, or :math:`\\beta_1` for Nadam). ``schedule`` is
    ``"1cycle"`` or ``"constant"``. ``standardize_inputs``: scale every
    feature to mean 0 and standard deviation 1 (:func:`standardize`).
    """

    name: str
    kernel_initializer: str
    activation: str
    batch_norm_from: int | None
    l2: float
    dropout: str | None
    dropout_rate: float
    early_stopping_patience: int | None
    optimizer: str
    alternatives: tuple[str, ...]
    momentum: float
    schedule: str
    standardize_inputs: bool

    def __post_init__(self):
        if self.batch_norm_from is not None:
            validation.integer("batch_norm_from", self.batch_norm_from, 1)
        validation.number("l2", self.l2, 0)
        if self.dropout is not None:
            validation.choice("dropout", self.dropout, DROPOUT_LAYERS)
        validation.number("dropout_rate", self.dropout_rate, 0, 1, low_open=False, high_open=True)
        if self.dropout is None and self.dropout_rate > 0:
            raise ValueError(f"dropout_rate is {self.dropout_rate!r} but dropout is None")
        if self.early_stopping_patience is not None:
            validation.integer("early_stopping_patience", self.early_stopping_patience, 1)
        for option in (self.optimizer, *self.alternatives):
            validation.choice("optimizer", option, OPTIMIZERS)
        validation.fraction("momentum", self.momentum)
        validation.choice("schedule", self.schedule, SCHEDULES)
        validation.boolean("standardize_inputs", self.standardize_inputs)


DEFAULT_NETWORK = NetworkConfig(
    name="default deep network", kernel_initializer="he_normal", activation="elu",
    batch_norm_from=5, l2=1e-4, dropout=None, dropout_rate=0.0, early_stopping_patience=10,
    optimizer="momentum", alternatives=("rmsprop", "nadam"), momentum=0.9, schedule="1cycle",
    standardize_inputs=False)

SELF_NORMALIZING_NETWORK = NetworkConfig(
    name="self-normalizing network", kernel_initializer="lecun_normal", activation="selu",
    batch_norm_from=None, l2=0.0, dropout="alpha_dropout", dropout_rate=0.0,
    early_stopping_patience=None, optimizer="momentum", alternatives=("rmsprop", "nadam"),
    momentum=0.9, schedule="1cycle", standardize_inputs=True)

_NAMES = {"he_normal": "He normal", "he_uniform": "He uniform", "lecun_normal": "LeCun normal",
          "lecun_uniform": "LeCun uniform", "glorot_uniform": "Glorot uniform",
          "glorot_normal": "Glorot normal", "elu": "ELU", "selu": "SELU", "relu": "ReLU",
          "momentum": "SGD with momentum", "rmsprop": "RMSProp", "nadam": "Nadam",
          "dropout": "dropout", "alpha_dropout": "alpha dropout"}


def config_rows(config: NetworkConfig) -> dict[str, str]:
    """The table column of ``config``: setting -> choice, in words, generated from its fields."""
    config = _check_config("config", config)

    def name(key: str) -> str:
        return _NAMES.get(key, key)

    normalization = ("none (self-normalization)" if config.batch_norm_from is None else
                     f"batch normalization if deep ({config.batch_norm_from}+ hidden layers)")
    regularization = []
    if config.early_stopping_patience is not None:
        regularization.append(f"early stopping (patience {config.early_stopping_patience})")
    if config.l2 > 0:
        regularization.append(f"L2 ({config.l2:g})")
    if config.dropout is not None:
        rate = f"rate {config.dropout_rate:g}" if config.dropout_rate else "if needed"
        regularization.append(f"{name(config.dropout)} ({rate})")
    optimizer = name(config.optimizer)
    if config.optimizer in ("momentum", "nadam"):
        optimizer += f" ({'beta' if config.optimizer == 'momentum' else 'beta_1'} "
        optimizer += f"{config.momentum:g})"
    if config.alternatives:
        optimizer += " or " + " or ".join(name(o) for o in config.alternatives)
    return {
        "kernel initializer": f"{name(config.kernel_initializer)} ({config.kernel_initializer})",
        "activation": name(config.activation),
        "normalization": normalization,
        "regularization": " + ".join(regularization) or "none",
        "optimizer": optimizer,
        "learning-rate schedule": config.schedule,
        "inputs": "standardized (mean 0, std 1)" if config.standardize_inputs else "as given",
    }


def _check_config(name: str, config) -> NetworkConfig:
    if not isinstance(config, NetworkConfig):
        raise TypeError(f"{name} must be a NetworkConfig (e.g. DEFAULT_NETWORK), "
                        f"got {type(config).__name__}")
    return config


def build_from_config(table: NetworkConfig, input_shape, n_outputs: int, n_hidden: int,
                      n_neurons: int, output_activation: str | None = "softmax",
                      dropout_rate: float | None = None, name: str | None = None):
    """The network a configuration table describes, as an uncompiled ``keras.Sequential``.

    Input ``(N, *input_shape)`` (flattened first if it has several axes),
    ``n_hidden`` hidden layers of ``n_neurons`` units, then
    ``Dense(n_outputs, output_activation)``. Each hidden layer is

    - ``Dense(n_neurons, activation, kernel_initializer)``, or, when the table
      asks for batch normalization at this depth,
      ``Dense(use_bias=False) -> BatchNormalization -> Activation``;
    - followed by the table's dropout layer when the rate (``dropout_rate``,
      else the table's) is above 0.

    Every kernel, the output's too, carries the table's L2 penalty. Output
    ``(N, n_outputs)``.
    """
    from dlbook.keras_import import keras

    table = _check_config("table", table)
    shape = validation.shape("input_shape", input_shape)
    n_outputs = validation.integer("n_outputs", n_outputs, 1)
    n_hidden = validation.integer("n_hidden", n_hidden, 0)
    n_neurons = validation.integer("n_neurons", n_neurons, 1)
    rate = table.dropout_rate if dropout_rate is None else validation.number(
        "dropout_rate", dropout_rate, 0, 1, low_open=False, high_open=True)
    if rate > 0 and table.dropout is None:
        raise ValueError(f"dropout_rate is {rate!r} but the table {table.name!r} has no dropout "
                         "layer")
    batch_norm = table.batch_norm_from is not None and n_hidden >= table.batch_norm_from
    regularizer = keras.regularizers.L2(table.l2) if table.l2 > 0 else None
    dropout = {"dropout": keras.layers.Dropout, "alpha_dropout": keras.layers.AlphaDropout}

    layers = [keras.Input(shape=shape)]
    if len(shape) > 1:
        layers.append(keras.layers.Flatten())
    for i in range(1, n_hidden + 1):
        if batch_norm:
            layers += [keras.layers.Dense(n_neurons, use_bias=False, name=f"hidden_{i}",
                                          kernel_initializer=table.kernel_initializer,
                                          kernel_regularizer=regularizer),
                       keras.layers.BatchNormalization(name=f"batch_norm_{i}"),
                       keras.layers.Activation(table.activation, name=f"activation_{i}")]
        else:
            layers.append(keras.layers.Dense(n_neurons, activation=table.activation,
                                             kernel_initializer=table.kernel_initializer,
                                             kernel_regularizer=regularizer, name=f"hidden_{i}"))
        if rate > 0:
            layers.append(dropout[table.dropout](rate, name=f"{table.dropout}_{i}"))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation,
                                     kernel_regularizer=regularizer, name="output"))
    return keras.Sequential(layers, name=name or table.name.replace(" ", "_").replace("-", "_"))


def optimizer_from_config(table: NetworkConfig, learning_rate: float = 0.01,
                          choice: str | None = None):
    """The table's optimizer (or ``choice``, one of its alternatives) at ``learning_rate``.

    ``"momentum"``: ``SGD(momentum=table.momentum)``; ``"rmsprop"``:
    ``RMSprop(rho=0.9, momentum=table.momentum)``; ``"nadam"``:
    ``Nadam(beta_1=table.momentum)``. All keep a momentum, so 1cycle can
    cycle it.
    """
    from dlbook.keras_import import keras

    table = _check_config("table", table)
    eta = validation.positive("learning_rate", learning_rate)
    choice = table.optimizer if choice is None else validation.choice(
        "choice", choice, (table.optimizer, *table.alternatives))
    if choice == "momentum":
        return keras.optimizers.SGD(eta, momentum=table.momentum)
    if choice == "rmsprop":
        return keras.optimizers.RMSprop(eta, rho=0.9, momentum=table.momentum)
    return keras.optimizers.Nadam(eta, beta_1=table.momentum)


def callbacks_from_config(table: NetworkConfig, max_learning_rate: float,
                          total_steps: int | None = None, monitor: str = "val_loss") -> list:
    """The table's training callbacks: early stopping, then the learning-rate schedule.

    ``EarlyStopping(monitor, patience, restore_best_weights=True)`` when the
    table has a patience; a :class:`~dlbook.schedules_keras.OneCycleScheduler` peaking at
    ``max_learning_rate`` (over ``total_steps``, by default the whole ``fit``)
    when its schedule is 1cycle.
    """
    from dlbook.keras_import import keras
    from dlbook.schedules_keras import OneCycleScheduler

    table = _check_config("table", table)
    max_learning_rate = validation.positive("max_learning_rate", max_learning_rate)
    if not isinstance(monitor, str):
        raise TypeError(f"monitor must be a str, got {type(monitor).__name__}")
    callbacks = []
    if table.early_stopping_patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, patience=table.early_stopping_patience, restore_best_weights=True))
    if table.schedule == "1cycle":
        callbacks.append(OneCycleScheduler(max_learning_rate, total_steps))
    return callbacks


def standardize(x_train, *others, eps: float = 1e-8) -> tuple[np.ndarray, ...]:
    """Standardize every feature with the training set's statistics: (x - mu) / sigma.

    ``x_train`` ``(N, ...)``: :math:`\\mu` and :math:`\\sigma` are computed
    per feature (per entry of one example) over its N examples, and applied
    to it and to each array of ``others`` ``(M, ...)`` (validation, test), so
    no statistic of those leaks into training. A feature that is constant in
    the training set (sigma < ``eps``, e.g. an always-black pixel) is only
    centred. Returns float32 arrays, ``x_train``'s first.
    """
    x_train = validation.float_array("x_train", x_train)
    others = [validation.float_array(f"others[{i}]", a) for i, a in enumerate(others)]
    if x_train.ndim < 2 or len(x_train) < 2:
        raise ValueError(f"x_train must have shape (N, ...) with N >= 2, got {x_train.shape}")
    for i, other in enumerate(others):
        if other.shape[1:] != x_train.shape[1:]:
            raise ValueError(f"others[{i}] must have shape (M, *{x_train.shape[1:]}) like "
                             f"x_train, got {other.shape}")
    eps = validation.positive("eps", eps)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std = np.where(std < eps, 1.0, std)
    return tuple(((a - mean) / std).astype(np.float32) for a in (x_train, *others))
