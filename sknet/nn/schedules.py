"""Learning-rate schedules, kept apart from the optimizers.

A schedule answers two questions at the end of every epoch:
``epoch_end(lr, lr0, t, epoch)`` gives the rate for the next epoch (``t``
samples seen in all, ``epoch`` epochs since the schedule last started from
``lr0``), and ``plateau(lr)`` says what to do when the monitored quantity
stopped improving: ``(new_lr, stop)``.
"""

import inspect
import math
from functools import cache


class Constant:
    """``lr = lr0``; a plateau stops training."""

    lowers_rate = False
    """Whether ``plateau`` lowers the rate (and stops only when it is too small)."""

    def epoch_end(self, lr, lr0, t, epoch):
        return lr

    def plateau(self, lr):
        return lr, True


class InvScaling(Constant):
    """``lr = lr0 / (t + 1) ** power_t`` with ``t`` the samples seen."""

    def __init__(self, power_t=0.5):
        self.power_t = power_t

    def epoch_end(self, lr, lr0, t, epoch):
        return lr0 / (t + 1) ** self.power_t


class Adaptive(Constant):
    """Keep ``lr`` while training improves; divide it by 5 on a plateau.

    Training stops when the rate would fall below ``min_lr``.
    """

    lowers_rate = True

    def __init__(self, factor=5.0, min_lr=1e-6):
        self.factor = factor
        self.min_lr = min_lr

    def plateau(self, lr):
        if lr <= self.min_lr:
            return lr, True
        return lr / self.factor, False


class Cosine(Constant):
    """``lr = lr0 * (1 + cos(pi * epoch / n_epochs)) / 2``, restarting every cycle.

    A cycle is ``n_epochs`` long: the rate decays from ``lr0`` towards 0 and
    starts again from ``lr0`` (a warm restart, as in SGDR), so epochs beyond
    the first cycle, e.g. many ``partial_fit`` calls, never train at rate 0.
    """

    def __init__(self, n_epochs=200):
        self.n_epochs = max(int(n_epochs), 1)

    def epoch_end(self, lr, lr0, t, epoch):
        progress = (epoch % self.n_epochs) / self.n_epochs
        return lr0 * 0.5 * (1.0 + math.cos(math.pi * progress))


SCHEDULES = {"constant": Constant, "invscaling": InvScaling, "adaptive": Adaptive, "cosine": Cosine}
"""Schedule classes by the names of the estimators' ``learning_rate``."""


def get(name, **settings):
    """The schedule called ``name``, made with those of ``settings`` it takes.

    A run offers every setting it has (``power_t``, ``n_epochs``, ...); each
    schedule takes the ones its constructor names.

    Examples
    --------
    >>> get("invscaling", power_t=0.25, n_epochs=50).power_t
    0.25
    """
    if name not in SCHEDULES:
        raise ValueError(
            f"Unknown learning_rate schedule {name!r}; choose one of {sorted(SCHEDULES)}."
        )
    return SCHEDULES[name](**settings_of(name, **settings))


def settings_of(name, **settings):
    """Those of ``settings`` that the schedule called ``name`` takes.

    >>> settings_of("cosine", power_t=0.5, n_epochs=50)
    {'n_epochs': 50}
    """
    accepted = _parameters(SCHEDULES[name])
    return {key: value for key, value in settings.items() if key in accepted}


@cache
def _parameters(cls):
    """The constructor's parameter names (``inspect.signature`` takes ~50 µs
    per call, paid by every fit)."""
    return frozenset(inspect.signature(cls).parameters)
