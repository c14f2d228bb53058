"""dlbook: the code behind the book *Deep Learning, Derived and Run*.

Two layers live here, one module per chapter in each. The NumPy layer
(``activations``, ``losses``, ``backprop``, ``optimizers``, ``normalization``,
``convolution``, ``lstm``, ...) writes the maths out in plain arrays. The Keras
layer is what the chapters train with: ``models``, ``cnn``, ``callbacks``,
``training``, ``tuning``, and a ``<topic>_keras`` module beside each NumPy
module whose chapter has Keras classes (``regularization_keras.MCDropout``).
Every module reaches Keras through :mod:`dlbook.keras_import`, and code tied to
one backend sits in :mod:`dlbook.backend`.

Importing ``dlbook`` is cheap: no submodule is imported here and no NumPy
module imports Keras, so ``import dlbook`` never loads TensorFlow.
"""

__version__ = "0.1.0"
