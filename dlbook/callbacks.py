"""Custom Keras callbacks of chapter 4."""

from __future__ import annotations

from dlbook import validation
from dlbook.keras_import import keras


@keras.saving.register_keras_serializable(package="dlbook")
class ValTrainRatioCallback(keras.callbacks.Callback):
    """Print and record the ratio r = L_val / L_train after every epoch.

    r near 1 means the model does as well on unseen data as on the data it
    trains on; r climbing well above 1 is the signature of overfitting. The
    ratios of the latest ``fit`` are kept in ``ratios`` (one float per epoch).
    ``verbose=False`` records without printing; ``digits`` sets the printed
    precision. Needs validation data (``validation_data`` or
    ``validation_split`` in ``fit``), else it raises ``ValueError``.
    """

    def __init__(self, verbose: bool = True, digits: int = 2):
        super().__init__()
        self.verbose = validation.boolean("verbose", verbose)
        self.digits = validation.integer("digits", digits, 0)
        if self.digits > 10:
            raise ValueError(f"digits must be an int in [0, 10], got {digits!r}")
        self.ratios: list[float] = []

    def on_train_begin(self, logs=None):
        self.ratios = []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if "val_loss" not in logs:
            raise ValueError(
                "ValTrainRatioCallback needs validation data: the epoch logs have no 'val_loss' "
                f"(they have {sorted(logs)}); pass validation_data or validation_split to fit"
            )
        ratio = float(logs["val_loss"]) / float(logs["loss"])
        self.ratios.append(ratio)
        if self.verbose:
            print(f"Epoch {epoch + 1}: val/train loss = {ratio:.{self.digits}f}")

    def get_config(self) -> dict:
        return {"verbose": self.verbose, "digits": self.digits}

    @classmethod
    def from_config(cls, config: dict) -> ValTrainRatioCallback:
        return cls(**config)
