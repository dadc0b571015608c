"""Input checks and conversions for the DataFrames this package reads."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise naming the missing columns of `what`."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; has {list(frame.columns)}")


def as_days(values: Iterable[object], what: str) -> np.ndarray:
    """datetime64[D] array from dates, timestamps (UTC if zoned) or ISO strings; a missing day is an error."""
    series = pd.to_datetime(pd.Series(list(values)))
    if series.dt.tz is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    if series.isna().any():
        raise ValueError(f"{what} has {int(series.isna().sum())} missing dates")
    return series.to_numpy().astype("datetime64[D]")
