"""Deferred SciPy entry points, so that ``import problems`` stays fast.

``scipy.stats`` alone costs about 2 s to import; the registries only need it when a
problem is built.  These stand-ins import SciPy on their first call.
"""

from __future__ import annotations


class _OrthoGroup:
    """Stand-in for :data:`scipy.stats.ortho_group` (only ``rvs``)."""

    def rvs(self, dim, size=1, random_state=None):
        from scipy.stats import ortho_group as _og

        return _og.rvs(dim, size=size, random_state=random_state)


ortho_group = _OrthoGroup()


def brentq(*args, **kwargs):
    """:func:`scipy.optimize.brentq`, imported on first use."""
    from scipy.optimize import brentq as _brentq

    return _brentq(*args, **kwargs)
