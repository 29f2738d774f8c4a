"""Frame helpers every stage shares: typed empty frames and JSON-able records.

Examples
--------
>>> frame_records(empty_frame(["juror_id", "n_marks"]))
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from scoring import columns as col

__all__ = ["empty_frame", "frame_records", "plain_value"]


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    """Return an empty frame with ``columns`` typed as in :data:`scoring.columns.COLUMN_DTYPES`.

    Examples
    --------
    >>> empty_frame(["juror_id", "n_marks"]).dtypes.astype(str).tolist()
    ['str', 'int64']
    """
    return pd.DataFrame({c: pd.Series(dtype=col.COLUMN_DTYPES.get(c, "str")) for c in columns})


def plain_value(value: object) -> object:
    """Return ``value`` as a plain Python value: missing values become None, numpy scalars
    become ``int``, ``float`` or ``bool``.

    Examples
    --------
    >>> plain_value(np.int64(3)), plain_value(np.float64("nan")), plain_value(pd.NA)
    (3, None, None)
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cases, answered fast
        return value
    if kind is float:
        return None if value != value else value
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return ``frame`` as JSON-able records (column name to :func:`plain_value`).

    Examples
    --------
    >>> frame_records(pd.DataFrame({"a": [1, None]}))
    [{'a': 1.0}, {'a': None}]
    """
    return [
        {str(key): plain_value(value) for key, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]
