"""HTML tables for the report, rendered column by column in time linear in their cells.

:func:`table_html` renders a frame as a table with every text escaped (:func:`escape`); each
column is formatted at once (numbers with three decimals, booleans as yes/no, missing values
empty), so a 30,000-row ranking renders in a fraction of a second. A :class:`FoldedTable`
shows one table as folds (``<details>``), a summary line each, with columns of ready-made
inline SVG: :func:`folded_html` renders every row once and hands each fold its rows.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FoldedTable", "cell_text", "escape", "folded_html", "number_text", "table_html"]


@dataclass(frozen=True)
class FoldedTable:
    """One table shown as folds: each a summary line that opens onto some of its rows.

    The per-group tables of a large event: a thousand groups are a thousand lines, and a
    group's ranking is one click away. The rows are rendered once for the whole table, then
    handed to their folds, so the page takes time linear in the number of rows.

    Attributes
    ----------
    table
        Every row of every fold.
    folds
        ``(summary, positions)``: the line shown, and the positions (``iloc``) of its rows in
        the order shown.
    graphics
        ``(header, cells)``: columns of inline SVG, one per row of ``table``, drawn from
        numbers only by :mod:`selection.outputs.charts` (shown as they are, not escaped).
    at
        The column of ``table`` before which the graphics columns are shown.
    """

    table: pd.DataFrame
    folds: tuple[tuple[str, np.ndarray], ...]
    graphics: tuple[tuple[str, tuple[str, ...]], ...] = ()
    at: int = 0


def escape(text: object) -> str:
    """Return ``text`` as HTML text, quotes included (safe in an attribute too).

    Examples
    --------
    >>> escape('<b>"x"</b>')
    '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
    """
    return html.escape(str(text), quote=True)


def cell_text(value: object) -> tuple[str, bool]:
    """Return a table cell's text and whether it is a number (shown right-aligned).

    Missing values are empty, booleans ``yes``/``no``, floats have three decimals.

    Examples
    --------
    >>> cell_text(-0.0001), cell_text(True), cell_text(float("nan")), cell_text(3)
    (('0.000', True), ('yes', False), ('', False), ('3', True))
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if isinstance(value, float | np.floating):
        text = f"{float(value):.3f}"
        return ("0.000" if text == "-0.000" else text), True
    if isinstance(value, int | np.integer):
        return str(int(value)), True
    return str(value), False


def table_html(frame: pd.DataFrame) -> str:
    """Return ``frame`` as an HTML table (every text escaped), or "none" when it is empty.

    Examples
    --------
    >>> table_html(pd.DataFrame({"name": ["<b>"], "merit": [7.0]}))
    ... # doctest: +NORMALIZE_WHITESPACE
    '<table><thead><tr><th>name</th><th>merit</th></tr></thead><tbody><tr><td>&lt;b&gt;</td>\
<td class="num">7.000</td></tr></tbody></table>'
    """
    if frame.empty:
        return "<p><em>none</em></p>"
    return f"<table>{_head_html(frame.columns)}<tbody>{''.join(_rows_html(frame))}</tbody></table>"


def _head_html(names: Iterable[object]) -> str:
    return "<thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in names) + "</tr></thead>"


def _rows_html(
    frame: pd.DataFrame, graphics: Sequence[Sequence[str]] = (), at: int = 0
) -> list[str]:
    """Return each row of ``frame`` as ``<tr>...</tr>``, the ``graphics`` columns (markup
    shown as it is) before column ``at``. Built column by column: linear in the cells."""
    cells = [_column_cells(frame.iloc[:, k]) for k in range(frame.shape[1])]
    cells[at:at] = [[f"<td>{markup}</td>" for markup in column] for column in graphics]
    return ["<tr>" + "".join(row) + "</tr>" for row in zip(*cells, strict=True)]


_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
"""Nullable columns whose every value is a number, a boolean or missing."""


def _column_cells(values: pd.Series) -> list[str]:
    """Return the ``<td>`` of each value, exactly as :func:`cell_text` formats it.

    A column of numbers, booleans or text is factorised: each distinct value is formatted
    and escaped once, and the cells are its codes looked up (a missing value has code -1:
    the last, empty cell). A column of anything else (``object``) goes value by value, each
    distinct text escaped once.
    """
    dtype = values.dtype
    array = values.array
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
        codes, uniques = pd.factorize(values.to_numpy())
        if dtype.kind == "f":  # NaN has code -1
            found = [f'<td class="num">{number_text(v)}</td>' for v in uniques.tolist()]
        elif dtype.kind == "b":
            found = ["<td>yes</td>" if v else "<td>no</td>" for v in uniques.tolist()]
        else:
            found = [f'<td class="num">{v}</td>' for v in uniques.tolist()]
    elif isinstance(dtype, pd.StringDtype) or isinstance(array, _MASKED):
        codes, uniques = pd.factorize(array)
        found = [_cell_html(value) for value in uniques]
    else:
        return _object_cells(values)
    found.append("<td></td>")
    return np.asarray(found, dtype=object)[codes].tolist()


def _cell_html(value: object) -> str:
    text, numeric = cell_text(value)
    return f'<td class="num">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>"


def _object_cells(values: pd.Series) -> list[str]:
    """The cells of a column of any values, each distinct text escaped once (other values
    are formatted one by one: ``1``, ``1.0`` and ``True`` are equal keys but differ)."""
    texts: dict[str, str] = {}
    found = []
    for value in values.tolist():
        if type(value) is str:
            cell = texts.get(value)
            if cell is None:
                cell = texts[value] = f"<td>{escape(value)}</td>"
            found.append(cell)
        else:
            found.append(_cell_html(value))
    return found


def number_text(value: float) -> str:
    """Return a float as the report shows it: three decimals, never ``-0.000``.

    Examples
    --------
    >>> number_text(-0.0001), number_text(2.5)
    ('0.000', '2.500')
    """
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def folded_html(folded: FoldedTable) -> list[str]:
    """The folds of a :class:`FoldedTable`: one ``<details>`` each, its rows rendered once."""
    table = folded.table
    names = list(table.columns)
    names[folded.at : folded.at] = [header for header, _ in folded.graphics]
    head = f"<table>{_head_html(names)}<tbody>"
    rows = _rows_html(table, [cells for _, cells in folded.graphics], folded.at)
    parts = []
    for summary, positions in folded.folds:
        body = (
            head + "".join([rows[p] for p in positions.tolist()]) + "</tbody></table>"
            if len(positions)
            else "<p><em>none</em></p>"
        )
        parts.append(f'<details class="fold"><summary>{escape(summary)}</summary>{body}</details>')
    return parts
