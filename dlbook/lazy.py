"""Keras on first use, so that importing a dlbook module never imports TensorFlow.

The NumPy chapters start in a fraction of a second; a module's Keras classes
(``dlbook.resnet.ResidualUnit``, ``dlbook.gan.GAN``, ...) are defined the
first time someone looks one up or builds a model that needs it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def keras():
    """The ``keras`` module, imported with TensorFlow's start-up logging silenced."""
    from dlbook.config import quiet_tensorflow

    quiet_tensorflow()
    import keras as keras_module

    return keras_module


class KerasClasses:
    """The Keras classes of one module, defined by ``define()`` when first needed.

    ``define`` returns ``{name: class}`` for exactly ``names``. Each class then
    joins its module under that name, so that ``help``, pickling and
    ``keras.saving`` see ``dlbook.resnet.ResidualUnit`` rather than a local
    class. A module hands lookups of the missing names to this object::

        _classes = lazy.KerasClasses(__name__, ("ResidualUnit",), _define_classes)
        __getattr__, __dir__ = _classes.module_getattr, _classes.module_dir
    """

    def __init__(self, module: str, names: tuple[str, ...], define: Callable[[], dict]):
        self.module, self.names, self._define, self._classes = module, tuple(names), define, None

    def all(self) -> dict[str, type]:
        """Every class by name, defining (and registering with Keras) them on the first call."""
        if self._classes is None:
            classes = self._define()
            if set(classes) != set(self.names):
                raise RuntimeError(f"{self.module} defined {sorted(classes)}, "
                                   f"expected {sorted(self.names)}")
            for name, cls in classes.items():
                cls.__module__, cls.__qualname__ = self.module, name
            vars(sys.modules[self.module]).update(classes)
            self._classes = classes
        return dict(self._classes)

    def __getitem__(self, name: str) -> type:
        return self.all()[name]

    def module_getattr(self, name: str) -> type:
        """The module's ``__getattr__``: its Keras classes, created when first looked up."""
        if name in self.names:
            return self[name]
        raise AttributeError(f"module {self.module!r} has no attribute {name!r}")

    def module_dir(self) -> list[str]:
        """The module's ``__dir__``: its attributes and the Keras classes not yet created."""
        return sorted(set(vars(sys.modules[self.module])) | set(self.names))
