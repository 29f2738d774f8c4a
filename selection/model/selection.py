"""The finished delegation as a type: a pool and the positions of its representatives.

Every stage after the solve (verification, explanations, reserves, analyses) passes a
:class:`Selection` around, so it lives below all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selection.model.pool import BoolArray, IntArray, Pool

__all__ = ["Selection"]


@dataclass(frozen=True, eq=False)
class Selection:
    """A finished delegation: the pool and the sorted positions of its representatives.

    Examples
    --------
    >>> import pandas as pd
    >>> from scoring.config import SelectionConfig
    >>> from selection.model.pool import prepare_pool
    >>> c = pd.DataFrame({"candidate_id": ["a", "b"], "name": ["A", "B"], "group": ["G", "G"]})
    >>> m = pd.DataFrame({"candidate_id": ["a", "b"], "merit": [1.0, 2.0]})
    >>> pool = prepare_pool(c, m, SelectionConfig(per_group=1))
    >>> Selection.from_ids(pool, ["b"]).swap(1, 0).ids()
    ['a']
    """

    pool: Pool
    positions: IntArray

    @classmethod
    def from_ids(cls, pool: Pool, candidate_ids: Sequence[str]) -> Selection:
        """Return the selection of the given candidate ids (unknown ids raise KeyError)."""
        positions = [pool.position(c) for c in candidate_ids]
        if any(p < 0 for p in positions):
            raise KeyError(f"unknown candidate ids among {sorted(candidate_ids)}")
        return cls(pool, np.unique(np.asarray(positions, dtype=np.int64)))

    @classmethod
    def from_mask(cls, pool: Pool, mask: BoolArray) -> Selection:
        """Return the selection of the pool positions where ``mask`` is true."""
        return cls(pool, np.flatnonzero(mask).astype(np.int64))

    @property
    def mask(self) -> BoolArray:
        """Boolean mask over the pool."""
        mask = np.zeros(self.pool.n_candidates, dtype=bool)
        mask[self.positions] = True
        return mask

    def ids(self) -> list[str]:
        """Return the representatives' candidate ids in pool order."""
        return [str(c) for c in self.pool.candidate_ids[self.positions]]

    def swap(self, out_position: int, in_position: int) -> Selection:
        """Return this selection with one representative replaced."""
        kept = self.positions[self.positions != out_position]
        return Selection(self.pool, np.sort(np.append(kept, in_position)))
