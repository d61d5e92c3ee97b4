"""The results of the last few computations, keyed by the contents of their input array.

Why: within one replication of the power study, or one pipeline step, the same data set reaches
the same costly computation more than once (P4's two models share the EM saturated moments, as
lavaan's h1 slot; P1-P3 fit the marker scale's graded model on the same firms). Keying by the
array's bytes, never by object identity, makes a hit exactly "the same numbers again".
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np


class RecentResults:
    """At most ``size`` results, the oldest dropped first; :meth:`get` computes on a miss."""

    def __init__(self, size: int = 8):
        self.size = size
        self._results: OrderedDict = OrderedDict()

    def get(self, compute, array: np.ndarray, *extra):
        """``compute()``, or its stored result for an ``array`` of the same shape and bytes and
        the same ``extra`` key parts."""
        key = (hashlib.blake2b(array.tobytes(), digest_size=16).digest(), array.shape, *extra)
        if key not in self._results:
            self._results[key] = compute()
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return self._results[key]
