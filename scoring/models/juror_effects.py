"""The additive juror-effect model's core: juror offsets from the absorbed normal equations.

For one criterion, mark ``y`` of juror ``j`` on target ``t`` is ``y = m_t + b_j + e``. With
juror weights ``k_j`` (1 for the score sheet as given; a bootstrap resample counts each mark
of juror ``j`` ``k_j`` times), ``A[j, t]`` the number of marks and ``S[j, t]`` their sum,
the least-squares fit with a ridge on the offsets minimises
``sum k_j e**2 + ridge * sum b_j**2``. Absorbing the target effects (``n_t = sum_j k_j
A[j, t]``, ``ybar_t = sum_j k_j S[j, t] / n_t``) leaves a system as wide as the number of
jurors::

    C = diag(k_j a_j) - diag(k) A diag(1 / n_t) A' diag(k)      (``information``)
    r_j = k_j (s_j - sum_t A[j, t] ybar_t)                       (``rhs``)
    (C + ridge I + P) b = r

``a_j`` and ``s_j`` are juror ``j``'s number and sum of marks. ``C`` is singular along each
connected component of the juror graph (jurors are linked when ``C[j, k] != 0``: they marked
a common target); ``P = scale * 1{same component} / component size`` adds one equation per
component fixing the sum of its offsets, with ``scale`` the mean number of (weighted) marks
per juror so that ``P`` is on the scale of ``C``. The offsets are then centred within each
component, which is exact for ``ridge = 0`` and implied by the penalty otherwise. The
panel score of target ``t`` is ``ybar_t - sum_j k_j A[j, t] b_j / n_t``.

:func:`juror_offsets` solves the system for one fit or for a batch of fits at once (any
leading axes); :mod:`scoring.models.calibrate` builds ``C`` and ``r`` from the marks of a
score sheet (``k = 1``, sparse, chunked over targets) and
:class:`selection.uncertainty.stability_fast.WeightedMerit` from dense ``A`` and ``S`` for
many resamples' weights. Both call these functions, so the model is defined once.

Examples
--------
Two jurors who marked the same two targets, J1 two points above J2:

>>> information = np.array([[1.0, -1.0], [-1.0, 1.0]])  # C = diag(2, 2) - A A' / 2
>>> rhs = np.array([2.0, -2.0])
>>> component = component_labels(information)
>>> offset, _ = juror_offsets(information, rhs, n_marks=np.array([2, 2]),
...                           component=component, ridge=0.0)
>>> component.tolist(), offset.round(9).tolist()
([0, 0], [1.0, -1.0])
"""

from __future__ import annotations

import numpy as np

__all__ = ["component_labels", "component_mean", "juror_offsets"]


def component_labels(information: np.ndarray) -> np.ndarray:
    """Label each juror with the smallest juror index in their connected component.

    Jurors ``j`` and ``k`` are linked when ``information[..., j, k] != 0``; labels spread
    along links until they stop changing (at most one round per juror).

    Parameters
    ----------
    information
        ``(..., n_jurors, n_jurors)``: one or a batch of absorbed information matrices.

    Returns
    -------
    numpy.ndarray
        ``(..., n_jurors)`` integer labels; two jurors share a label exactly when they
        are in the same component.

    Examples
    --------
    >>> linked = np.array([[1.0, 0, -1], [0, 1, 0], [-1, 0, 1]])
    >>> component_labels(linked).tolist()
    [0, 1, 0]
    """
    n = information.shape[-1]
    linked = (information != 0) | np.eye(n, dtype=bool)
    labels = np.broadcast_to(np.arange(n), information.shape[:-1]).copy()
    for _ in range(n):
        spread = np.where(linked, labels[..., None, :], n).min(axis=-1)
        if np.array_equal(spread, labels):
            break
        labels = spread
    return labels


def component_mean(values: np.ndarray, component: np.ndarray) -> np.ndarray:
    """Return, for each juror, the mean of ``values`` over the juror's component.

    Parameters
    ----------
    values, component
        ``(..., n_jurors)`` values and component labels (see :func:`component_labels`;
        any labels below ``n_jurors`` that are equal within a component will do).

    Examples
    --------
    >>> component_mean(np.array([1.0, 5.0, 3.0]), np.array([0, 1, 0])).tolist()
    [2.0, 5.0, 2.0]
    """
    n = values.shape[-1]
    batch = int(np.prod(values.shape[:-1], dtype=np.int64))
    flat = (np.asarray(component).reshape(batch, n) + n * np.arange(batch)[:, None]).ravel()
    total = np.bincount(flat, weights=values.ravel(), minlength=batch * n)
    count = np.bincount(flat, minlength=batch * n)
    return (total / np.maximum(count, 1))[flat].reshape(values.shape)


def juror_offsets(
    information: np.ndarray,
    rhs: np.ndarray,
    *,
    n_marks: np.ndarray,
    component: np.ndarray,
    ridge: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``(C + ridge I + P) b = r`` and centre ``b`` within each component.

    See the module docstring for the model and the meaning of every term.

    Parameters
    ----------
    information
        ``C``, shape ``(..., n_jurors, n_jurors)``.
    rhs
        ``r``, shape ``(..., n_jurors)``.
    n_marks
        ``k_j a_j``, the (weighted) number of marks of each juror, ``(..., n_jurors)``;
        ``scale`` is their mean over the jurors with marks (at least 1).
    component
        Component labels, ``(..., n_jurors)`` (see :func:`component_labels`).
    ridge
        Penalty on squared offsets, in units of one mark (0 for plain least squares).

    Returns
    -------
    offset, system
        The offsets ``b`` (``(..., n_jurors)``, summing to zero in each component) and the
        matrix ``C + ridge I + P`` they solve (for their standard errors).

    Examples
    --------
    A juror alone in their component (no common target) keeps offset 0:

    >>> information = np.array([[1.0, -1.0, 0], [-1.0, 1.0, 0], [0, 0, 0]])
    >>> offset, system = juror_offsets(information, np.array([2.0, -2.0, 0]),
    ...     n_marks=np.array([2, 2, 2]), component=np.array([0, 0, 2]), ridge=0.1)
    >>> offset.round(6).tolist(), system.shape
    ([0.952381, -0.952381, 0.0], (3, 3))
    """
    n = information.shape[-1]
    present = n_marks > 0
    scale = np.maximum(
        np.where(present, n_marks, 0).sum(axis=-1) / np.maximum(present.sum(axis=-1), 1), 1.0
    )
    member = component[..., :, None] == component[..., None, :]
    size = member.sum(axis=-1)
    system = information + ridge * np.eye(n)
    system = system + np.asarray(scale)[..., None, None] * member / size[..., :, None]
    offset = np.linalg.solve(system, rhs[..., None])[..., 0]
    return offset - component_mean(offset, component), system
