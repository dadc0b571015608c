"""Errors the library raises when the data cannot support a model; Dagster assets turn them into failures."""


class NotEnoughData(ValueError):
    """Too little data for a model; the message says what is missing and how much there is."""
