"""The engine: how a selection is solved at scale.

Today every solve goes through the full integer programme (:func:`selection.model.solve`).
Issue 11's decomposition (per-group options plus a small coupling problem for the
delegation-wide rules) will live here; the analyses re-solve through it.
"""

__all__: list[str] = []
