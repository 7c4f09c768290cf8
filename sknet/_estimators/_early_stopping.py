"""Early stopping: the validation split, its scores, the best weights.

One component owns all of it, so a reader finds it in one place: it holds
out ``validation_fraction`` of the rows with scikit-learn's
``train_test_split`` (stratified as scikit-learn's MLP stratifies), or
takes the validation rows the user gave (``X_val``, ``y_val``), scores
explicit parameter vectors on them with the estimator's scorer after every
epoch, keeps the best vector, and puts it back when training ends. The core
(``nn.training.fit_minibatch``) calls it as its ``validate`` function and
stops on the plateau of the score instead of the training loss.

With validation rows, ``partial_fit`` keeps the record across calls: each
call is one scored epoch, the patience counter (the core's ``State``)
carries on, the weights stay the latest ones until patience runs out; the
call that runs out puts the best weights back and marks the record
``stopped``, and later ``partial_fit`` calls with validation rows leave the
model as it is.
"""

import copy

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split

from ..nn.training import Data
from ._checks import split_weights


def new_record():
    """The early-stopping record of a fresh fit, as plain data.

    ``scores`` and ``losses`` per epoch, the ``best_score`` and the
    ``best_theta`` that reached it; it carries over warm starts, as
    scikit-learn's ``validation_scores_`` and best weights do.
    """
    return {
        "scores": [],
        "losses": [],
        "best_score": -np.inf,
        "best_theta": None,
        "stopped": False,
    }


def validation_data(estimator, X_val, y_val, sample_weight_val, dtype):
    """The validation rows given to fit or partial_fit, checked: ``(Data, y_val)`` or None.

    They are validated as the training rows are (features and their names,
    targets, weights times ``class_weight``). As in scikit-learn's
    ``HistGradientBoosting*``, they need ``early_stopping=True``.
    """
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is provided, but X_val and y_val were not.")
        return None
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided.")
    if not estimator.early_stopping:
        raise ValueError(
            "X_val and y_val are passed while early_stopping is False. They are the "
            "early-stopping validation set: set early_stopping=True to use them."
        )
    X_val, y_val = estimator._validated(X_val, y_val, reset=False)
    return estimator._data(X_val, y_val, sample_weight_val, dtype, fresh=False), y_val


def early_stopping(estimator, net, data, y, rng, incremental, carried, validation):
    """The ``EarlyStopping`` of a minibatch call (None without), and the rows to train on."""
    if not estimator.early_stopping:
        return None, data
    if incremental and validation is None:
        raise ValueError(
            "partial_fit does not support early_stopping=True without validation "
            "data: pass X_val and y_val to every partial_fit call."
        )
    stopping = EarlyStopping(estimator, net, carried.get("early_stopping") or new_record())
    if validation is None:
        return stopping, stopping.split(data, y, rng)
    stopping.hold(*validation)
    return stopping, data


class EarlyStopping:
    """The early-stopping validation of one fit.

    Parameters
    ----------
    estimator : the estimator being fitted (its ``validation_fraction``,
        ``scoring``, ``tol``, and its fitted target attributes)
    net : nn.MLP, the network being trained
    record : dict, the record to continue (see :func:`new_record`)
    """

    def __init__(self, estimator, net, record):
        self.estimator, self.net, self.record = estimator, net, record
        self.tol = estimator.tol

    def split(self, data, y, rng):
        """Hold out the validation rows; returns the training ``Data``."""
        est = self.estimator
        train_idx, val_idx = train_test_split(
            np.arange(data.n),
            test_size=est.validation_fraction,
            random_state=rng,
            stratify=y if est._stratify_validation(y) else None,
        )
        if len(val_idx) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        w_train, w_val = split_weights(data.w, train_idx, val_idx, est.validation_fraction)
        self.hold(Data(data.X[val_idx], data.Y[val_idx], w_val), y[val_idx])
        return Data(data.X[train_idx], data.Y[train_idx], w_train)

    def hold(self, validation, y):
        """Score on the rows of ``validation`` (``Data``), whose targets were ``y``."""
        self.X, self.Y, self.y, self.w = validation.X, validation.Y, y, validation.w
        self.scorer = check_scoring(self.estimator, scoring=self.estimator.scoring)
        # The scorer gets float64 weights, as scikit-learn's validated ones
        # are: weights in a float32 model's dtype made the score float32 (it
        # could overflow where scikit-learn's does not).
        self.score_kwargs = {} if self.w is None else {"sample_weight": self.w.astype(np.float64)}

    def __call__(self, theta):
        """Score ``theta``: ``(score, loss, improved)``, recorded.

        ``improved`` as :meth:`keep` says. A non-finite validation loss (a
        diverging fit) is returned unscored and unrecorded; the core then
        raises.
        """
        Ws, bs = self.net.unpack(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self.net.mean_loss(Ws, bs, self.X, self.Y, self.w)
        if not np.isfinite(loss):
            return np.nan, loss, False
        score = float(self.scorer(self._model(Ws, bs), self.X, self.y, **self.score_kwargs))
        return score, loss, self.keep(theta, score, loss)

    def keep(self, theta, score, loss):
        """Record an epoch's ``score`` and ``loss``, and ``theta`` if it is the best.

        Returns whether the score improved: scikit-learn's rule, the score
        beats the best so far by at least ``tol``.
        """
        record = self.record
        improved = not score < record["best_score"] + self.tol
        record["scores"].append(score)
        record["losses"].append(loss)
        if score > record["best_score"]:
            record["best_score"], record["best_theta"] = score, theta.copy()
        return improved

    def _model(self, Ws, bs):
        """A shallow copy of the estimator predicting with ``Ws``, ``bs``.

        Its input is the fit's own validation rows, already validated (and,
        as a NumPy array, they would warn about feature names once per
        epoch), so it predicts without ``validate_data``.
        """
        model = copy.copy(self.estimator)
        model.coefs_, model.intercepts_ = Ws, bs
        model._input_validated = True
        return model

    @property
    def has_best(self):
        """Whether some epoch was scored, so there are weights to fall back to."""
        return self.record["best_theta"] is not None

    def restore(self, theta):
        """Put the best weights into ``theta``, if there are any."""
        if self.has_best:
            theta[...] = self.record["best_theta"]

    def finish(self, theta, reason, incremental):
        """End a call that stopped for ``reason`` (see ``nn.training.fit_minibatch``).

        A fit puts the best weights back. A partial_fit does so only once
        patience ran out (or training diverged), and then marks the record
        ``stopped``; until then the weights stay the latest ones, so the
        next call trains on from them.
        """
        stopped = incremental and reason in ("converged", "diverged")
        self.record["stopped"] = stopped
        if stopped or not incremental:
            self.restore(theta)
