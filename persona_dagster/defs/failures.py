"""Library errors as Dagster failures: a clear run failure instead of a stack trace."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from persona_dagster.errors import NotEnoughData


@contextmanager
def fail_on_too_little_data(asset: str) -> Iterator[None]:
    """Re-raise NotEnoughData as a dg.Failure that names the asset and the shortfall."""
    try:
        yield
    except NotEnoughData as error:
        raise dg.Failure(description=f"{asset}: too little data: {error}") from error
