"""Benchmark: each pass of ``scoring.ingest.textscan`` against its pandas equivalent.

Generates the 1.35M-mark event of ``benchmarks/generate.py`` and times every textscan pass
that has a pandas (or numpy) equivalent giving the same result, on its 30,000 candidate
ids and names, 30,000 non-ASCII names made from the example event's, and the 1.35 million
target-id cells of its score sheet. Prints the best of N interleaved rounds of both and
the ratio pandas / textscan (the figures in ``scoring/ingest/textscan.py``'s docstring).

Usage: ``python benchmarks/textscan.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generate import write_large_event
from scoring.example import example_event_path
from scoring.ingest import textscan as ts


def compare(
    label: str, ours: Callable[[], object], theirs: Callable[[], object], repeat: int
) -> None:
    """Check that both give the same result, then print their best times and the ratio."""
    for mine, other in zip(_parts(ours()), _parts(theirs()), strict=True):
        if not np.array_equal(np.asarray(mine, dtype=object), np.asarray(other, dtype=object)):
            raise AssertionError(f"{label}: the pandas equivalent differs")
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):  # in turn, so a machine changing speed affects both
        for action, kept in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            action()
            kept.append(time.perf_counter() - start)
    here, pandas = min(times[0]), min(times[1])
    print(f"{label:46s} {here * 1e3:8.2f} ms {pandas * 1e3:8.2f} ms {pandas / here:6.2f}")


def _parts(result: object) -> tuple[object, ...]:
    return result if isinstance(result, tuple) else (result,)


def _text(values: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype=object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    repeat = args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_large_event(Path(tmp)).parent
        candidates = pd.read_csv(folder / "candidates.csv", dtype=object)
        targets = pd.read_csv(
            folder / "scores.csv", dtype=object, keep_default_na=False, na_values=[""]
        )["target_id"]
    rng = np.random.default_rng(0)
    ids = candidates["candidate_id"].to_numpy(dtype=object)
    shuffled = ids[rng.permutation(len(ids))]
    names = candidates["name"].to_numpy(dtype=object).copy()
    names[::100] = [f" {v}  x" for v in names[::100]]  # a few to fold
    example = pd.read_csv(example_event_path() / "candidates.csv", dtype=object)["name"]
    unicode = np.array([f"{example.iloc[i % len(example)]} {i}" for i in range(len(ids))])
    unicode = unicode.astype(object)
    unicode[::50] = [unicodedata.normalize("NFD", v) + "\u00a0" for v in unicode[::50]]
    clean_unicode = ts._clean_unicode(unicode)
    coded = pd.Series(pd.Categorical(targets))
    codes = coded.cat.codes.to_numpy().astype(np.int32)
    n_codes = int(codes.max()) + 1
    half = np.where(codes % 2 == 1, 0, codes)

    def unused(c: np.ndarray) -> np.ndarray:
        categories = pd.Index(np.arange(n_codes))
        return pd.Categorical.from_codes(c, categories=categories).remove_unused_categories().codes

    def folded(values: np.ndarray) -> np.ndarray:
        out = _text(values).str.split().str.join(" ").to_numpy(dtype=object, copy=True)
        out[out == ""] = None
        return out

    print(f"{'pass (data)':46s} {'textscan':>11s} {'pandas':>11s} {'ratio':>6s}")
    compare(
        "distinct, 1.35M object cells",
        lambda: ts.distinct(targets),
        lambda: pd.factorize(targets.to_numpy(dtype=object), use_na_sentinel=True),
        repeat,
    )
    compare(
        "distinct, 1.35M categorical cells",
        lambda: ts.distinct(coded),
        lambda: (lambda c: (c.codes, np.asarray(c.categories, dtype=object)))(
            coded.cat.remove_unused_categories().array
        ),
        repeat,
    )
    compare(
        "drop_unused, 1.35M codes, all used",
        lambda: ts.drop_unused(codes, n_codes)[0],
        lambda: unused(codes),
        repeat,
    )
    compare(
        "drop_unused, 1.35M codes, half used",
        lambda: ts.drop_unused(half, n_codes)[0],
        lambda: unused(half),
        repeat,
    )
    compare(
        "is_text, 30k ids",
        lambda: ts.is_text(ids),
        lambda: _text(ids).map(lambda v: isinstance(v, str)).to_numpy(dtype=bool),
        repeat,
    )
    compare(
        "clean_distinct, 30k ASCII names",
        lambda: ts.clean_distinct(names, is_id=False)[0],
        lambda: folded(names),
        repeat,
    )
    compare(
        "_clean_unicode, 30k non-ASCII names",
        lambda: ts._clean_unicode(unicode),
        lambda: (
            _text(unicode)
            .str.normalize("NFC")
            .str.replace(ts.INVISIBLE, "", regex=True)
            .str.replace(ts.SPACES, " ", regex=True)
            .str.strip()
            .to_numpy(dtype=object)
        ),
        repeat,
    )
    compare(
        "line_flags MAYBE_NUMBER, 30k ids",
        lambda: ts.line_flags(ids, ts.MAYBE_NUMBER),
        lambda: _text(ids).str.contains(r"^[^\S\n]*[+-]?\d+[.,eE]", regex=True).to_numpy(),
        repeat,
    )
    compare(
        "line_flags MOJIBAKE, 30k non-ASCII names",
        lambda: ts.line_flags(clean_unicode, ts.MOJIBAKE),
        lambda: _text(clean_unicode).str.contains(ts.MOJIBAKE, regex=True).to_numpy(),
        repeat,
    )
    compare(
        "totals_labels, 30k ids",
        lambda: ts.totals_labels(ids),
        lambda: (
            _text(ids)
            .str.strip()
            .str.rstrip(":")
            .str.strip()
            .str.casefold()
            .isin(ts.TOTALS_WORDS)
            .to_numpy()
        ),
        repeat,
    )
    compare(
        "ascii_keys, 30k ASCII names",
        lambda: ts.ascii_keys(names),
        lambda: _text(names).str.translate(ts.ASCII_KEY).to_numpy(dtype=object),
        repeat,
    )
    for label, values in (("shuffled", shuffled), ("sorted", ids)):
        ours, by_series, by_numpy = _orders(values)
        compare(f"text_order, 30k ids {label} (Series.argsort)", ours, by_series, repeat)
        compare(f"text_order, 30k ids {label} (numpy object sort)", ours, by_numpy, repeat)


def _orders(values: np.ndarray) -> tuple[Callable[[], object], ...]:
    """:func:`~scoring.ingest.textscan.text_order` and two equivalents, for ``values``."""
    return (
        lambda: ts.text_order(values),
        lambda: _text(values).argsort(kind="stable").to_numpy(),
        lambda: np.argsort(values, kind="stable"),
    )


if __name__ == "__main__":
    main()
