"""The one error the translation package raises for a model it cannot find or load."""

from __future__ import annotations


class TranslationModelError(RuntimeError):
    """A translation model cannot be found or loaded.

    The message names the model, says why, and says how to get one, so that the
    Dagster run log or the CLI can show it as it is.
    """
