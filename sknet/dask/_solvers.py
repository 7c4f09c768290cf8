"""The client-side loops of the three ways to train: each pass is one map-reduce.

* :func:`lbfgs`: SciPy's L-BFGS-B on the client; every evaluation of the
  full-batch objective and gradient is a sum over partitions.
* :func:`minibatch`: sgd/adam where every step is one global minibatch,
  its rows spread over the partitions in proportion to their size.
* :func:`averaging`: federated averaging; every round trains a copy of the
  parameters on each partition and averages them.

The objective is the local fit's: ``(sum_i w_i l_i + alpha/2 |W|^2) / sum_i w_i``,
so the penalty is added once here, to the workers' sums.
"""

import math

import numpy as np
import scipy.optimize
from dask import delayed

from . import _bridge, _worker


def _objective(run, loss_sum, grad_sum, weight):
    """Penalized mean loss and its gradient (float64) from summed parts."""
    net, theta, alpha = run.net, run.theta, _bridge.l2_alpha(run.estimator)
    value = loss_sum / weight + net.penalty(theta, alpha, weight)
    grad = grad_sum / weight
    grad[: net.n_weights] += theta[: net.n_weights] * (alpha / weight)
    return value, grad


def lbfgs(run):
    """Full-batch L-BFGS-B with the local fit's options; exact data parallelism."""
    est, theta = run.estimator, run.theta
    items = [(s,) for s in run.shards]
    curve = []

    def objective(x):
        theta[...] = x
        loss_sum, grad_sum, weight, _ = run.map(_worker.full_sums, items, theta)
        return _objective(run, loss_sum, grad_sum, weight)

    def callback(intermediate_result):
        curve.append(float(intermediate_result.fun))
        _say(est, len(curve), curve[-1])

    result = scipy.optimize.minimize(
        objective,
        theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": est.max_iter, "maxfun": est.max_fun, "gtol": est.tol},
        callback=callback,
    )
    theta[...] = result.x
    _bridge.check_finite(result.fun, theta, result.nit)
    _bridge.set_lbfgs_result(est, result, curve)


def minibatch(run, validate, persisted):
    """sgd/adam epochs of global minibatches; one update per step, as a local step."""
    if not persisted:
        raise ValueError(
            "strategy='gradient' with sgd or adam reads every partition at every step; "
            "with persist=False that rereads the data thousands of times per epoch. "
            "Use persist=True, strategy='average', or solver='lbfgs'."
        )
    est, theta = run.estimator, run.theta
    n = sum(run.n_train)
    training = _bridge.Training(est, theta, n)
    steps = math.ceil(n / training.batch)
    converged = False
    for _ in range(est.max_iter):
        orders = _orders(run) if est.shuffle else [None] * len(run.shards)
        total = 0.0
        for step in range(steps):
            sums = run.map(_worker.step_sums, _step_items(run, orders, step, steps), theta)
            if sums is None or sums[2] == 0:
                continue
            loss, grad = _objective(run, *sums[:3])
            training.step(theta, grad.astype(theta.dtype))
            total += loss * sums[3]
        if _end_epoch(run, training, total / n, n, validate):
            converged = True
            break
    training.finish(est, theta, converged, "Stochastic Optimizer")


def _orders(run):
    """This epoch's row order of every shard, computed and kept on its worker."""
    seeds = run.rng.randint(np.iinfo(np.int32).max, size=len(run.shards))
    order = delayed(_worker.permutation)
    return run.cluster.persist([order(s, seed) for s, seed in zip(run.shards, seeds)])


def _step_items(run, orders, step, steps):
    """Each shard's share of minibatch ``step``: rows ``[n*step/steps, n*(step+1)/steps)``."""
    items = []
    for shard, order, n in zip(run.shards, orders, run.n_train):
        start, stop = n * step // steps, n * (step + 1) // steps
        if stop > start:
            items.append((shard, order, start, stop))
    return items


def averaging(run, local_epochs, validate):
    """Federated averaging: local epochs on every shard, then a weighted average."""
    est, theta = run.estimator, run.theta
    n = sum(run.n_train)
    training = _bridge.Training(est, theta, n)
    converged = False
    for _ in range(est.max_iter):
        seed = int(run.rng.randint(np.iinfo(np.int32).max))
        items = [(s, [seed, i], m / n) for i, (s, m) in enumerate(zip(run.shards, run.n_train))]
        shared = (theta, training.moments, training.lr, training.batch, local_epochs)
        sums = run.map(_worker.local_round, items, *shared)
        theta[...] = sums["theta"] / sums["weight"]
        training.moments = _average_state(sums["state"], sums["weight"], training.moments)
        if _end_epoch(run, training, sums["loss"] / sums["rows"], n * local_epochs, validate):
            converged = True
            break
    training.finish(est, theta, converged, "Federated averaging")


def _average_state(summed, weight, like):
    """The row-weighted mean optimizer state (moments; step counts rounded)."""
    averaged = {}
    for key, value in summed.items():
        mean = value / weight
        if np.ndim(like[key]) == 0:
            mean = type(like[key])(round(float(mean)))
        else:
            mean = mean.astype(like[key].dtype)
        averaged[key] = mean
    return averaged


def _end_epoch(run, training, loss, n, validate):
    """The local fit's end of epoch (round), and its verbose lines; returns ``stop``."""
    stop, epoch, score = training.end_epoch(run.theta, loss, n, validate)
    _say(run.estimator, epoch, loss, score)
    return stop


def _say(est, iteration, loss, score=None):
    """scikit-learn's verbose lines."""
    if not est.verbose:
        return
    print(f"Iteration {iteration}, loss = {loss:.8f}", flush=True)
    if score is not None:
        print(f"Validation score: {score:f}", flush=True)
