"""The CSV files: `csv_bytes` writes exactly what pandas' `to_csv` writes, faster."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from selection.outputs.files import _csv_columns, _pandas_csv_text, csv_bytes

_TEXT = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["=1+1", "-x", "+7", "@a", "\tx", '"q"', "a,b", "a\nb", "a\r\nb", "", " "]),
)
_FLOAT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, -1e-9, 1e-7, 1 / 3, 2.0**52, -(2.0**53), 1.7e308, 123456.75]),
)
_KINDS: dict[str, tuple[Any, str]] = {
    "float": (_FLOAT, "float64"),
    "int": (st.integers(-(2**63), 2**63 - 1), "int64"),
    "bool": (st.booleans(), "bool"),
    "str": (st.one_of(st.none(), _TEXT), "str"),
    "object text": (st.one_of(st.none(), _TEXT), "object"),
    "Int64": (st.one_of(st.none(), st.integers(-(2**40), 2**40)), "Int64"),
    "boolean": (st.one_of(st.none(), st.booleans()), "boolean"),
    "mixed": (st.one_of(st.none(), _TEXT, st.integers(-5, 5), _FLOAT), "object"),
}


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(0, 6))
    kinds = draw(st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=5))
    columns = {}
    for position, kind in enumerate(kinds):
        strategy, dtype = _KINDS[kind]
        values = draw(st.lists(strategy, min_size=n_rows, max_size=n_rows))
        columns[f"{position}{draw(_TEXT)}"] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(columns)


@given(_frames())
def test_the_same_bytes_as_pandas(frame: pd.DataFrame) -> None:
    expected = b"\xef\xbb\xbf" + _pandas_csv_text(frame).encode("utf-8")
    assert csv_bytes(frame) == expected


def test_usual_columns_do_not_go_through_pandas() -> None:
    frame = pd.DataFrame(
        {
            "merit": [1 / 3, np.nan, -0.0, np.inf],
            "n": [1, 2, 3, 4],
            "ok": [True, False, True, False],
            "name": pd.Series(["=1", None, "Zoë", "a,b"], dtype="str"),
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
        }
    )
    assert _csv_columns(frame) is not None
    assert csv_bytes(frame).decode("utf-8-sig").splitlines() == [
        "merit,n,ok,name,count",
        "0.333333,1,True,'=1,1",
        ",2,False,,",
        "-0,3,True,Zoë,3",
        'inf,4,False,"a,b",4',
    ]
    mixed = pd.DataFrame({"x": pd.Series([1, "a"], dtype=object)})
    assert _csv_columns(mixed) is None  # left to pandas
    assert _csv_columns(pd.DataFrame({1: [1]})) is None  # a label that is not text
