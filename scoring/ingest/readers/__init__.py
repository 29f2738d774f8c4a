"""Read one input file (CSV, TSV, TXT or XLSX) into a raw table of cells with provenance.

Readers do no domain checking: they find the data, keep every cell as the user wrote it
(CSV cells as text; XLSX cells as typed Python values) and record the spreadsheet row of
every record (header = row 1) and the :class:`~scoring.event.Dialect` the file was read
with. File-level problems (wrong type, lock file, password, undecodable text, rows with the
wrong number of fields, Excel error cells, formulas without a cached value, several sheets
that could be the data, hidden rows and columns, merged cells) become
:class:`~scoring.errors.Issue` objects. :mod:`scoring.ingest.validate` does the rest.

In pipeline order: :mod:`~scoring.ingest.readers.table` (:class:`RawTable`, what every
reader returns, and :func:`header_key`), :mod:`~scoring.ingest.readers.text` (text files,
with pandas' C reader), :mod:`~scoring.ingest.readers.workbook` (workbooks, with openpyxl)
and :mod:`~scoring.ingest.readers.read` (:func:`read_table`: the file's real type from its
bytes, then its reader).

Examples
--------
>>> from scoring.ingest.readers import header_key
>>> header_key("  Candidate ID ")
'candidate_id'
"""

from scoring.ingest.readers.read import read_table
from scoring.ingest.readers.table import EXCEL_ERRORS, ExcelError, RawTable, header_key

__all__ = ["EXCEL_ERRORS", "ExcelError", "RawTable", "header_key", "read_table"]
