"""The one way into Keras: ``from dlbook.keras_import import keras``.

Importing this module silences TensorFlow's C++ start-up logging (which has to
happen before TensorFlow is imported) and then imports Keras. The modules of the
Keras layer (``models``, ``cnn``, ``callbacks``, the ``*_keras`` modules) import
it at the top. A NumPy module that also builds a Keras model imports it inside
that function, so that importing the module, as the grader does, never loads
TensorFlow.
"""

from dlbook.config import quiet_tensorflow

quiet_tensorflow()

import keras  # noqa: E402  (TensorFlow reads its logging switches when it is first imported)

__all__ = ["keras"]
