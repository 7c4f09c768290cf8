"""Progress during fit: verbose lines and scikit-learn's callback protocol.

The core calls ``epoch_begin`` / ``epoch_end`` once per epoch; this module
turns those calls into printed lines (``verbose``) and into the task
contexts of ``sklearn.callback`` (scikit-learn >= 1.9), where callbacks such
as ``ProgressBar`` and ``ScoringMonitor`` live. On older scikit-learn the
callback part is simply absent.
"""

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - depends on the installed version

    class CallbackSupportMixin:
        """Stand-in: scikit-learn before 1.9 has no callback protocol."""


from ._utils import scoring_name

HAS_CALLBACKS = hasattr(CallbackSupportMixin, "_init_callback_context")


def epoch_lines(iteration, record, score_name):
    """Verbose lines for an epoch record: scikit-learn's, then sknet's figures.

    Each line starts with exactly what scikit-learn's MLP prints
    (``Iteration 3, loss = 0.12345678``, ``Validation score: 0.933333``);
    the validation loss, scorer, rate and time follow after `` | ``.
    """
    lines = [
        f"Iteration {iteration}, loss = {record.loss:.8f} | lr {record.lr:.3g} | "
        f"{record.seconds:.2f} s"
    ]
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
    """Hooks for the core's epoch loop, bound to one fit call.

    Parameters
    ----------
    estimator : the estimator being fitted
    X, y, metadata : what callbacks receive with each task
    max_epochs : int, the number of epoch tasks at most
    lowers_rate : bool, whether the schedule lowers the rate on a plateau
    """

    def __init__(self, estimator, X, y, metadata, max_epochs, lowers_rate=False):
        self.estimator = estimator
        self.verbose = estimator.verbose
        self.lowers_rate = lowers_rate
        self.epochs = 0
        self.scoring_name = scoring_name(estimator)
        self.task = dict(estimator=estimator, X=X, y=y, metadata=metadata)
        self.root = None
        self.current = None
        if HAS_CALLBACKS:
            self.root = estimator._init_callback_context(max_subtasks=max_epochs)
            self.root.call_on_fit_task_begin(**self.task)

    def epoch_begin(self, epoch):
        if self.root is not None:
            self.current = self.root.subcontext(task_name="epoch")
            self.current.call_on_fit_task_begin(**self.task)

    def epoch_end(self, record):
        self.epochs += 1
        if self.verbose:
            self._print_epoch(record)
        if self.current is None:
            return False
        return self.current.call_on_fit_task_end(
            **self.task, reconstruction_attributes=self.estimator._snapshot_attributes
        )

    def _print_epoch(self, record):
        lines = epoch_lines(self.epochs, record, self.scoring_name)
        lines.append(plateau_line(record, self.estimator, self.lowers_rate))
        print("\n".join(line for line in lines if line is not None), flush=True)

    def iteration(self, iteration, loss):
        """An L-BFGS iteration: printed when verbose, as an epoch is."""
        if self.verbose:
            print(f"Iteration {iteration}, loss = {loss:.8f}", flush=True)

    def close(self):
        if self.root is not None:
            self.root.call_on_fit_task_end(
                **self.task, reconstruction_attributes=self.estimator._snapshot_attributes
            )
