"""Early stopping: the validation split, its scores, the best weights.

One component owns all of it, so a reader finds it in one place: it holds
out ``validation_fraction`` of the rows with scikit-learn's
``train_test_split`` (stratified as scikit-learn's MLP stratifies), scores
explicit parameter vectors on them with the estimator's scorer after every
epoch, keeps the best vector, and puts it back when training ends. The core
(``nn.training.fit_minibatch``) calls it as its ``validate`` function and
stops on the plateau of the score instead of the training loss.
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
    return {"scores": [], "losses": [], "best_score": -np.inf, "best_theta": None}


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
        self.X, self.Y, self.y, self.w = data.X[val_idx], data.Y[val_idx], y[val_idx], w_val
        self.scorer = check_scoring(est, scoring=est.scoring)
        self.score_kwargs = {} if w_val is None else {"sample_weight": w_val}
        return Data(data.X[train_idx], data.Y[train_idx], w_train)

    def __call__(self, theta):
        """Score ``theta``: ``(score, loss, improved)``, recorded.

        ``improved`` is scikit-learn's rule: the score beats the best so far
        by at least ``tol``. A non-finite validation loss (a diverging fit)
        is returned unscored and unrecorded; the core then raises.
        """
        Ws, bs = self.net.unpack(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self.net.mean_loss(Ws, bs, self.X, self.Y, self.w)
        if not np.isfinite(loss):
            return np.nan, loss, False
        score = float(self.scorer(self._model(Ws, bs), self.X, self.y, **self.score_kwargs))
        record = self.record
        improved = not score < record["best_score"] + self.tol
        record["scores"].append(score)
        record["losses"].append(loss)
        if score > record["best_score"]:
            record["best_score"], record["best_theta"] = score, theta.copy()
        return score, loss, improved

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
