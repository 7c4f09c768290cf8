"""Full-batch training with SciPy's L-BFGS-B, reporting as the minibatch loop does.

Each L-BFGS iteration is reported through the hooks of ``nn.training``:
``epoch_begin(i)`` when the iteration's first loss evaluation starts and
``epoch_end(record, x) -> stop`` when SciPy accepts its iterate ``x``, with
an :class:`~sknet.nn.training.EpochRecord` whose ``loss`` is the objective
(and no learning rate). A true return stops the run, as it stops an epoch
loop.
"""

import time

import numpy as np
import scipy.optimize

from .training import EpochRecord, NoHooks, check_finite


class _Iterations:
    """SciPy's evaluations and callbacks, turned into hook calls.

    Keeps the last accepted iterate, so Ctrl-C returns it rather than a
    point the line search was only trying.
    """

    def __init__(self, theta, hooks):
        self.hooks = hooks
        self.x, self.fun, self.nit = theta.astype(np.float64), np.nan, 0
        self.started = None

    def begin(self):
        """Called by every evaluation; the first of an iteration begins it."""
        if self.started is None:
            self.hooks.epoch_begin(self.nit)
            self.started = time.perf_counter()

    def end(self, intermediate_result):
        """SciPy's callback: an iteration ended at ``intermediate_result.x``."""
        self.x, self.fun = intermediate_result.x.copy(), float(intermediate_result.fun)
        self.nit += 1
        seconds = time.perf_counter() - self.started
        self.started = None
        if self.hooks.epoch_end(EpochRecord(self.nit, self.fun, seconds=seconds), self.x):
            raise StopIteration  # SciPy ends the run, status 99


def fit_lbfgs(net, theta, data, alpha, max_iter, max_fun, tol, hooks=None):
    """Minimize the full-batch objective with SciPy's L-BFGS-B.

    ``theta`` is updated in place. Returns SciPy's ``OptimizeResult`` with
    ``reason`` added, the vocabulary of ``fit_minibatch``: ``"converged"``,
    ``"not_converged"`` (iterations or evaluations ran out, or the line
    search failed: SciPy's ``message`` says which), ``"callback"`` (a hook asked)
    or ``"interrupted"`` (Ctrl-C: ``theta`` holds the last accepted
    iterate). A non-finite result raises
    :class:`~sknet.nn.training.DivergenceError`.
    """
    if any(net.dropout):
        raise ValueError(
            "L-BFGS needs a deterministic objective and dropout makes it random: "
            "train with dropout by minibatches (fit_minibatch) or set dropout to 0."
        )
    ws = net.workspace(data.n)
    run = _Iterations(theta, hooks or NoHooks())

    def objective(x):
        run.begin()
        theta[...] = x
        with np.errstate(over="ignore", invalid="ignore"):
            loss = net.loss_grad(theta, data.X, data.Y, data.w, alpha, ws)
        return loss, ws.grad.astype(np.float64)

    try:
        result = scipy.optimize.minimize(
            objective,
            run.x,
            method="L-BFGS-B",
            jac=True,
            options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol},
            callback=run.end,
        )
        result.reason = _REASONS.get(result.status, "not_converged")
    except KeyboardInterrupt:
        result = scipy.optimize.OptimizeResult(
            x=run.x, fun=run.fun, nit=run.nit, status=-1, success=False, message="interrupted"
        )
        result.reason = "interrupted"
    theta[...] = result.x
    if result.reason != "interrupted":
        when = f"after {result.nit} iterations" if result.nit else "in its first iteration"
        check_finite(result.fun, theta, f"L-BFGS diverged {when}")
    return result


_REASONS = {0: "converged", 99: "callback"}
"""SciPy's status codes that are not a failure to converge."""
