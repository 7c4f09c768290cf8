"""Inverted dropout masks for the hidden layers of a training run.

During training each hidden unit is kept with probability ``1 - rate`` and
scaled by ``1 / (1 - rate)`` when kept, so the expected activation is
unchanged and prediction uses the network as it is (no rescaling). The
masks come from a random generator the caller owns, so a run is
reproducible from its seed.
"""

import numpy as np


def check_rates(rates):
    """The rates as floats, each in ``[0, 1)``; a clear ValueError otherwise."""
    rates = tuple(float(r) for r in rates)
    bad = [r for r in rates if not 0.0 <= r < 1.0]
    if bad:
        raise ValueError(
            f"dropout rates must be in [0, 1) (the probability of dropping a unit); got {bad}."
        )
    return rates


_LEVELS = 1 << 16
"""Masks compare 16-bit random integers (cheaper to draw than floats from a
RandomState) with ``round(rate * 2**16)``."""


def draw_mask(rng, rate, out):
    """Fill ``out`` with an inverted-dropout mask and return it.

    Each entry is 0 with probability ``rate`` and ``1 / (1 - rate)``
    otherwise; ``rate`` is rounded to a multiple of ``2**-16`` (less than
    ``1e-5`` off) and the scale uses the rounded value, so the mask's
    expectation is exactly 1. ``rng`` is a ``numpy.random.Generator`` or a
    legacy ``numpy.random.RandomState``.

    Examples
    --------
    >>> import numpy as np
    >>> mask = draw_mask(np.random.default_rng(0), 0.5, np.empty((2, 4)))
    >>> sorted(set(mask.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """
    drop = min(round(rate * _LEVELS), _LEVELS - 1)
    if isinstance(rng, np.random.Generator):
        bits = rng.integers(0, _LEVELS, size=out.shape, dtype=np.uint16)
    else:
        bits = rng.randint(0, _LEVELS, size=out.shape, dtype=np.uint16)
    return np.multiply(bits >= drop, out.dtype.type(_LEVELS / (_LEVELS - drop)), out=out)


class Masks:
    """The dropout masks of the hidden layers, for batches of up to ``rows`` rows.

    ``draw(m)`` returns one ``(m, n_units)`` mask per hidden layer (None where
    the rate is 0): fresh ones drawn from ``rng`` at every call, or, when
    ``fixed`` masks are given, those every time (for gradient checks).
    """

    def __init__(self, rates, shapes, dtype, rng=None, fixed=None):
        self.rates, self.rng = rates, rng
        if fixed is None:
            if rng is None:
                raise ValueError(
                    "The network has dropout: pass rng= (a NumPy Generator or RandomState) "
                    "to draw its masks, or masks= to fix them."
                )
            fixed = [np.empty(s, dtype) if r > 0 else None for r, s in zip(rates, shapes)]
            self.fixed = False
        elif len(fixed) != len(shapes) or any(
            M is not None and np.shape(M) != s for M, s in zip(fixed, shapes)
        ):
            raise ValueError(f"masks must be None or arrays of shapes {shapes}, one per layer.")
        else:
            self.fixed = True
        self.buffers = [None if M is None else np.asarray(M, dtype) for M in fixed]

    def draw(self, m):
        """Masks for a batch of ``m`` rows (see the class docstring)."""
        if self.fixed:
            return [None if M is None else M[:m] for M in self.buffers]
        return [
            M if M is None else draw_mask(self.rng, rate, M[:m])
            for rate, M in zip(self.rates, self.buffers)
        ]
