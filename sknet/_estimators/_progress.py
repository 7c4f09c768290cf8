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


HAS_CALLBACKS = hasattr(CallbackSupportMixin, "_init_callback_context")


def format_epoch(record, scoring_name):
    """One verbose line for an epoch record."""
    parts = [f"Epoch {record.epoch:4d}", f"loss {record.loss:.6f}"]
    if record.validation_loss is not None:
        parts.append(f"val loss {record.validation_loss:.6f}")
    if record.validation_score is not None:
        parts.append(f"val {scoring_name} {record.validation_score:.4f}")
    parts += [f"lr {record.lr:.3g}", f"{record.seconds:.2f} s"]
    return " | ".join(parts)


class FitProgress:
    """Hooks for the core's epoch loop, bound to one fit call.

    Parameters
    ----------
    estimator : the estimator being fitted
    X, y, metadata : what callbacks receive with each task
    max_epochs : int, the number of epoch tasks at most
    """

    def __init__(self, estimator, X, y, metadata, max_epochs):
        self.estimator = estimator
        self.verbose = estimator.verbose
        self.scoring_name = _scoring_name(estimator)
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
        if self.verbose:
            print(format_epoch(record, self.scoring_name), flush=True)
        if self.current is None:
            return False
        return self.current.call_on_fit_task_end(
            **self.task, reconstruction_attributes=self.estimator._snapshot_attributes
        )

    def iteration(self, iteration, loss):
        """An L-BFGS iteration: printed when verbose."""
        if self.verbose:
            print(f"Iteration {iteration:4d} | loss {loss:.6f}", flush=True)

    def close(self):
        if self.root is not None:
            self.root.call_on_fit_task_end(
                **self.task, reconstruction_attributes=self.estimator._snapshot_attributes
            )


def _scoring_name(estimator):
    scoring = getattr(estimator, "scoring", None)
    if scoring is None:
        return "score"
    return scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")
