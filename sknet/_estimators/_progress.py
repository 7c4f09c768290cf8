"""Progress during fit: verbose lines and scikit-learn's callback protocol.

The core calls ``epoch_begin`` / ``epoch_end`` once per epoch of the
minibatch loop and once per L-BFGS iteration, with the same record; this
module turns those calls into printed lines (``verbose``) and into the task
contexts of ``sklearn.callback`` (scikit-learn >= 1.9), where callbacks such
as ``ProgressBar`` and ``ScoringMonitor`` live. On older scikit-learn the
callback part is simply absent.
"""

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - depends on the installed version

    class CallbackSupportMixin:
        """Stand-in: scikit-learn before 1.9 has no callback protocol."""


import numpy as np

from ._utils import scoring_name

HAS_CALLBACKS = hasattr(CallbackSupportMixin, "_init_callback_context")


def epoch_lines(iteration, record, score_name):
    """Verbose lines for an epoch record: scikit-learn's, then sknet's figures.

    Each line starts with exactly what scikit-learn's MLP prints
    (``Iteration 3, loss = 0.12345678``, ``Validation score: 0.933333``);
    the rate and time, then the scorer and validation loss, follow after
    `` | ``. An L-BFGS iteration (no rate) prints scikit-learn's words alone.
    """
    line = f"Iteration {iteration}, loss = {record.loss:.8f}"
    if record.lr is not None:
        line += f" | lr {record.lr:.3g} | {record.seconds:.2f} s"
    lines = [line]
    if record.validation_score is not None:
        lines.append(
            f"Validation score: {record.validation_score:f} | {score_name} | "
            f"val loss {record.validation_loss:.8f}"
        )
    return lines


def plateau_line(record, estimator, lowers_rate):
    """scikit-learn's line when training stops improving, or None."""
    if record.plateau is None:
        return None
    watched = "Validation score" if estimator.early_stopping else "Training loss"
    line = (
        f"{watched} did not improve more than tol={estimator.tol:f} for "
        f"{int(estimator.n_iter_no_change)} consecutive epochs."
    )
    if record.plateau == "lower":
        return f"{line} Setting learning rate to {record.next_lr:f}"
    if lowers_rate:
        return f"{line} Learning rate too small. Stopping."
    return f"{line} Stopping."


class FitProgress:
    """The hooks of one fit call, the same for every solver.

    Begins the fit's callback task on creation and ends it in
    :meth:`close`; in between, every epoch (or L-BFGS iteration) is a
    subtask, and its end prints the verbose lines. Callbacks rebuild the
    model of a task from the parameters the core reports with it.

    Parameters
    ----------
    estimator : the estimator being fitted
    data : nn.training.Data, the training rows (callbacks receive ``X`` and
        the sample weights as metadata)
    y : the targets as the user gave them
    net : nn.MLP, the network whose parameters the core reports
    max_epochs : int, the number of epoch (or iteration) tasks at most
    task_name : str, the name of each subtask ("epoch" or "iteration")
    lowers_rate : bool, whether the schedule lowers the rate on a plateau
    """

    def __init__(self, estimator, data, y, net, max_epochs, task_name="epoch", lowers_rate=False):
        self.estimator = estimator
        self.verbose = estimator.verbose
        self.net = net
        self.task_name = task_name
        self.lowers_rate = lowers_rate
        self.epochs = 0
        self.scoring_name = scoring_name(estimator)
        metadata = {} if data.w is None else {"sample_weight": data.w}
        self.task = dict(estimator=estimator, X=data.X, y=y, metadata=metadata)
        self.root = None
        self.current = None
        if HAS_CALLBACKS:
            self.root = estimator._init_callback_context(max_subtasks=max_epochs)
            self.root.call_on_fit_task_begin(**self.task)

    def epoch_begin(self, epoch):
        if self.root is not None:
            self.current = self.root.subcontext(task_name=self.task_name)
            self.current.call_on_fit_task_begin(**self.task)

    def epoch_end(self, record, theta):
        """Print the epoch's lines; True when a callback asks to stop."""
        self.epochs += 1
        if self.verbose:
            lines = epoch_lines(self.epochs, record, self.scoring_name)
            lines.append(plateau_line(record, self.estimator, self.lowers_rate))
            print("\n".join(line for line in lines if line is not None), flush=True)
        if self.current is None:
            return False
        current, self.current = self.current, None
        return current.call_on_fit_task_end(
            **self.task, reconstruction_attributes=lambda: attributes(self.net, theta)
        )

    def close(self, theta):
        """End the fit's task, with the final parameters ``theta``.

        A subtask begun and never ended (a run that stopped inside it) ends
        first, without attributes, as scikit-learn's L-BFGS bridge does.
        """
        if self.root is None:
            return
        if self.current is not None:
            self.current.call_on_fit_task_end(estimator=self.estimator)
            self.current = None
        self.root.call_on_fit_task_end(
            **self.task, reconstruction_attributes=lambda: attributes(self.net, theta)
        )


def attributes(net, theta):
    """``coefs_`` and ``intercepts_`` of the parameters ``theta``, as copies."""
    Ws, bs = net.unpack(np.asarray(theta).astype(net.dtype, copy=False))
    return {"coefs_": [W.copy() for W in Ws], "intercepts_": [b.copy() for b in bs]}
