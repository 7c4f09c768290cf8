"""Symptoms: which mismatches a deliberate difference or a known bug explains.

Each public function takes ``(case, mismatch, ours, theirs)`` (see
``differential_compare``) and says whether the mismatch is the one it
describes, reading the parameters in force at the failing call. The tables of
``test_differential`` pair them with their reasons; keep each as narrow as the
behaviour it names, so that it explains nothing else.
"""

import numbers
import re
from dataclasses import replace

import numpy as np
from differential_cases import ESTIMATORS, run
from differential_compare import LOSSES, close, compute_dtype, params_at
from sklearn.utils._param_validation import InvalidParameterError

import sknet

OPTIMIZER_PARAMS = {"solver", "learning_rate_init", "learning_rate", "power_t", "momentum"}
OPTIMIZER_PARAMS |= {"nesterovs_momentum", "beta_1", "beta_2", "epsilon"}


def _last(case, m):
    return m.step if m.step >= 0 else len(case.steps) - 1


def _diverged(error):
    return isinstance(error, sknet.DivergenceError) or "non-finite" in str(error)


def _numbers(m):
    """A mismatch in numbers, or one that different numbers explain.

    Different trajectories stop at different epochs (so one warns that it
    did not converge and the other does not) and may diverge on one side only.
    """
    if m.aspect in ("values", "verbose"):
        return True
    if m.aspect == "warnings":
        differ = set(m.ours) ^ set(m.theirs)
        return bool(differ) and all(w.startswith("ConvergenceWarning") for w in differ)
    if m.aspect == "outcome":
        return (m.ours is None and _diverged(m.theirs)) or (m.theirs is None and _diverged(m.ours))
    return False


def _calls_before(case, m, method):
    """Indices of the calls of ``method`` after the first, up to the mismatch."""
    return [k for k in range(1, _last(case, m) + 1) if case.steps[k].method == method]


def _changed(case, k, names):
    before, now = params_at(case, k - 1), params_at(case, k)
    return any(before.get(n) != now.get(n) for n in names)


def _stateful(params):
    """Whether the optimizer carries more than the weights between calls."""
    return params["solver"] == "adam" or (params["solver"] == "sgd" and params["momentum"] > 0)


def warm_start_continues_optimizer(case, m, ours, theirs):
    return _numbers(m) and any(
        params_at(case, k).get("warm_start")
        and (_stateful(params_at(case, k)) or _stateful(params_at(case, k - 1)))
        for k in _calls_before(case, m, "fit")
    )


def partial_fit_takes_new_parameters(case, m, ours, theirs):
    return _numbers(m) and any(
        _changed(case, k, OPTIMIZER_PARAMS) for k in _calls_before(case, m, "partial_fit")
    )


def multi_output_loss_is_summed(case, m, ours, theirs):
    """The losses differ; with ``tol`` on a larger loss, the stopping epoch may too."""
    p = params_at(case, _last(case, m))
    if not (case.label == "multioutput" and p.get("loss") == "squared_error"):
        return False
    if (m.aspect == "values" and m.name in LOSSES) or m.aspect in ("verbose", "warnings"):
        return m.aspect != "warnings" or _numbers(m)  # the stopping rule sees the sum
    k = _last(case, m)
    if any(params_at(case, i)["solver"] == "lbfgs" for i in range(k + 1)):
        return _numbers(m)  # L-BFGS's line search sees the loss itself
    n_iter = [
        r.steps[k].attributes.get("n_iter_") if r.steps[k].attributes else None
        for r in (ours, theirs)
    ]
    adaptive = any(  # the plateau that divides the rate is judged on the loss too
        params_at(case, i)["solver"] == "sgd" and params_at(case, i)["learning_rate"] == "adaptive"
        for i in range(k + 1)
    )
    return _numbers(m) and (n_iter[0] != n_iter[1] or adaptive)


def log_proba_from_logits(case, m, ours, theirs):
    if m.aspect != "values" or m.name != "predict_log_proba":
        return False
    rtol, atol = 1e-6, 1e-9
    off = ~np.isclose(m.ours, m.theirs, rtol=rtol, atol=atol)
    return bool(np.all(np.exp(m.theirs[off]) < 1e-6))


def log_loss_from_logits(case, m, ours, theirs):
    """scikit-learn's log-loss clips probabilities to [eps, 1 - eps]; sknet's does not.

    The gradients are the same, so the weights agree and only the reported
    loss is larger in sknet: in the loss attributes, and in the verbose
    lines that print it (the rest of each line as scikit-learn's).
    """
    verbose = m.aspect == "verbose"
    if not (verbose or (m.aspect == "values" and m.name in LOSSES)) or case.kind != "classifier":
        return False
    a, b = ours.steps[m.step].attributes, theirs.steps[m.step].attributes
    dtype = a["coefs_"][0].dtype
    if verbose:
        ours_loss, theirs_loss = _printed_losses(m.ours), _printed_losses(m.theirs)
        if _PRINTED_LOSS.sub("", m.theirs) != _PRINTED_LOSS.sub("", _scikit_learn_part(m)):
            return False
    else:
        ours_loss, theirs_loss = np.asarray(m.ours, float), np.asarray(m.theirs, float)
    return (
        ours_loss.shape == theirs_loss.shape
        and close(a["coefs_"], b["coefs_"], str(dtype))
        and bool(np.all(ours_loss >= theirs_loss - 1e-6))
    )


_PRINTED_LOSS = re.compile(r"loss = (-?[0-9.]+(?:e[-+]?[0-9]+)?)")


def _printed_losses(text):
    return np.asarray([float(x) for x in _PRINTED_LOSS.findall(text)])


def _scikit_learn_part(m):
    """sknet's verbose lines cut to the length of scikit-learn's (sknet adds fields)."""
    theirs = m.theirs.splitlines()
    ours = m.ours.splitlines()
    if len(ours) != len(theirs):
        return ""
    cut = [o[: o.index(" |")] if " |" in o else o for o in ours]
    return "\n".join(cut) + ("\n" if m.theirs.endswith("\n") else "")


def _float32_input(case):
    return case.dtype is np.float32 and case.container != "list"


def _only_float_width(m):
    return str(m.ours).replace("<f4", "<f8") == str(m.theirs)


def lbfgs_keeps_float32(case, m, ours, theirs):
    lbfgs = any(params_at(case, k)["solver"] == "lbfgs" for k in range(_last(case, m) + 1))
    if not (lbfgs and _float32_input(case)):
        return False
    return _numbers(m) or (m.aspect in ("attributes", "outputs") and _only_float_width(m))


def predicts_in_model_precision(case, m, ours, theirs):
    """A model fitted in float32 predicts float64 input in float32 (strings in
    a DataFrame are object columns, which validation converts to float64)."""
    float64_input = case.bad in ("predict: float64", "predict: beyond float32", "predict: strings")
    if not (float64_input and m.aspect == "outputs" and str(compute_dtype(ours)) == "float32"):
        return False
    refused = isinstance(m.ours, ValueError) and "float32" in str(m.ours) and m.theirs is not None
    return refused or _only_float_width(m)


def refuses_negative_sample_weight(case, m, ours, theirs):
    """sknet refuses; scikit-learn fits, or fails later (after warnings)."""
    if case.weights != "negative" or m.step < 0:
        return False
    refused = "Negative values" in str(ours.steps[m.step].error)
    return refused and (m.aspect == "warnings" or (m.aspect == "outcome" and m.theirs is None))


def skips_zero_weight_batches(case, m, ours, theirs):
    return (
        m.aspect == "outcome"
        and case.weights == "counts"
        and isinstance(m.theirs, ZeroDivisionError)
        and (m.ours is None or isinstance(m.ours, ValueError))
    )


def lbfgs_refuses_non_finite_loss(case, m, ours, theirs):
    if m.aspect != "outcome" or m.theirs is not None:
        return False
    loss = theirs.steps[m.step].attributes.get("loss_")
    return (
        params_at(case, m.step)["solver"] == "lbfgs"
        and not np.isfinite(loss)
        and isinstance(m.ours, sknet.DivergenceError)
        and isinstance(m.ours, ValueError)
    )


def regressor_lbfgs_has_no_partial_fit(case, m, ours, theirs):
    return (
        m.aspect == "outcome"
        and m.name == "partial_fit"
        and params_at(case, m.step)["solver"] == "lbfgs"
        and isinstance(m.ours, AttributeError)
        and m.theirs is None
    )


def warm_start_after_switch(case, m, ours, theirs):
    switched = _changed(case, m.step, {"early_stopping"}) or (
        params_at(case, m.step - 1)["solver"] == "lbfgs" and _changed(case, m.step, {"solver"})
    )
    return (
        m.aspect == "outcome"
        and (m.ours is None or _diverged(m.ours))  # sknet trains (and may diverge)
        and isinstance(m.theirs, AttributeError | TypeError)
        and switched
    )


def best_weights_kept_across_warm_start(case, m, ours, theirs):
    """scikit-learn's restored best weights are the arrays a warm start then
    trains in place, so a warm-started fit in which no epoch beats the best
    score returns its last weights; sknet returns the best ones."""
    return (_numbers(m) or m.aspect == "outputs") and any(
        params_at(case, k).get("warm_start")
        and params_at(case, k)["early_stopping"]
        and params_at(case, k - 1)["early_stopping"]
        and _best_score(theirs, k) == _best_score(theirs, k - 1)
        for k in _calls_before(case, m, "fit")
    )


def _best_score(record, k):
    attributes = record.steps[k].attributes
    return None if not attributes else attributes.get("best_validation_score_")


def _n_batches(case, k):
    """Minibatches per epoch of call ``k`` (the validation split left out)."""
    p = params_at(case, k)
    n = len(case.inputs[case.steps[k].data].y)
    if p["early_stopping"]:
        n -= int(np.ceil(p["validation_fraction"] * n))
    size = min(200, n) if p["batch_size"] == "auto" else min(p["batch_size"], n)
    return int(np.ceil(n / size)) if size > 0 else 0


def _reshuffles(case, k):
    p = params_at(case, k)
    return p["solver"] in ("sgd", "adam") and p["shuffle"] and _n_batches(case, k) > 1


def shuffles_each_epoch_afresh(case, m, ours, theirs):
    """scikit-learn permutes its previous order; sknet draws a new permutation.

    The first epoch's order is the same, so the two agree after one epoch.
    """
    multi_epoch = _reshuffles(case, 0) and params_at(case, 0)["max_iter"] > 1
    return _numbers(m) and m.step in (0, -1) and multi_epoch and _agree_after_one_epoch(case)


def _agree_after_one_epoch(case):
    one = replace(case, params={**case.params, "max_iter": 1}, steps=case.steps[:1])
    ours, theirs = (run(cls, one) for cls in ESTIMATORS[case.kind])
    if ours.failed or theirs.failed:
        return False
    weights = [r.steps[0].attributes["coefs_"] for r in (ours, theirs)]
    return close(*weights, str(weights[0][0].dtype))


def random_state_not_reseeded(case, m, ours, theirs):
    """scikit-learn re-seeds from ``random_state`` at every call; sknet continues.

    From the second call on, the shuffles and the validation split differ, and
    with them the numbers, and what a different validation split refuses
    (zero weights, too few members of a class).
    """
    split = m.aspect == "outcome" and (m.ours is None) != (m.theirs is None)
    return (_numbers(m) or split) and any(
        case.steps[k].method != "set_params"
        and (_reshuffles(case, k) or params_at(case, k)["early_stopping"])
        for k in range(1, _last(case, m) + 1)
    )


def lbfgs_counts_samples(case, m, ours, theirs):
    p = params_at(case, _last(case, m))
    return m.aspect == "values" and m.name == "t_" and p["solver"] == "lbfgs" and m.theirs == 0


def _multiclass(case):
    return case.kind == "classifier" and case.label in ("int", "str", "float", "column")


def stratifies_multiclass_split(case, m, ours, theirs):
    """scikit-learn stratifies the validation split of binary y only."""
    p = params_at(case, _last(case, m))
    if not (p["early_stopping"] and _multiclass(case)):
        return False
    split_refused = "least populated" in str(m.ours) or "number of classes" in str(m.ours)
    if m.aspect == "outcome" and isinstance(m.ours, ValueError) and split_refused:
        return True
    return _numbers(m)


def verbose_lines(case, m, ours, theirs):
    return m.aspect == "verbose"


def feature_names_warning(case, m, ours, theirs):
    p = params_at(case, _last(case, m))
    return (
        m.aspect == "warnings"
        and case.container == "DataFrame"
        and p["early_stopping"]
        and any("valid feature names" in w for w in m.ours)
    )


def single_class_refused(case, m, ours, theirs):
    return m.aspect == "outcome" and m.theirs is None and "only one class" in str(m.ours)


def rate_change_ignored_on_warm_start(case, m, ours, theirs):
    """The rate of the previous fit carries over: a new rate or schedule is ignored."""
    rate = {"learning_rate_init", "learning_rate", "power_t"}
    return _numbers(m) and any(
        params_at(case, k).get("warm_start")
        and (
            _changed(case, k, rate)
            or params_at(case, k - 1)["learning_rate"] != "constant"
            or params_at(case, k)["learning_rate"] != "constant"
        )
        for k in _calls_before(case, m, "fit")
    )


def adam_applies_schedule(case, m, ours, theirs):
    return _numbers(m) and any(
        params_at(case, k)["solver"] == "adam" and params_at(case, k)["learning_rate"] != "constant"
        for k in range(_last(case, m) + 1)
    )


def zero_weight_batch_crashes(case, m, ours, theirs):
    """A batch of zero weights crashes; a validation split of them is not refused."""
    zero_validation = "at least one non-zero" in str(m.theirs) and m.ours is None
    return m.aspect == "outcome" and (isinstance(m.ours, ZeroDivisionError) or zero_validation)


def divergence_error_not_value_error(case, m, ours, theirs):
    return (
        m.aspect == "outcome"
        and isinstance(m.ours, sknet.DivergenceError)
        and not isinstance(m.ours, ValueError)
    )


def early_stopping_nan_score(case, m, ours, theirs):
    p = params_at(case, _last(case, m))
    return (
        m.aspect == "outcome"
        and p["early_stopping"]
        and isinstance(m.ours, ValueError)
        and ("NaN" in str(m.ours) or "infinity" in str(m.ours))
    )


def new_classes_on_warm_start(case, m, ours, theirs):
    return (
        m.aspect == "outcome"
        and m.ours is None
        and "warm_start can only be used where `y` has the same classes" in str(m.theirs)
    )


def validation_fraction_zero_refused(case, m, ours, theirs):
    return (
        m.aspect in ("outcome", "warnings")
        and params_at(case, m.step)["validation_fraction"] == 0.0
        and isinstance(ours.steps[m.step].error, InvalidParameterError)
    )


def hidden_layer_sizes_not_integers(case, m, ours, theirs):
    sizes = params_at(case, _last(case, m))["hidden_layer_sizes"]
    flat = np.ravel(sizes).tolist()
    integers = np.ndim(sizes) < 2 and all(isinstance(s, numbers.Integral) for s in flat)
    return m.aspect in ("outcome", "warnings") and not integers


def predict_reads_parameters(case, m, ours, theirs):
    return (
        m.aspect == "outputs"
        and any(s.method == "set_params" and "hidden_layer_sizes" in s.changes for s in case.steps)
        and isinstance(m.ours, Exception)
    )


def float32_model_float64_input(case, m, ours, theirs):
    return case.bad == "predict: beyond float32" and m.step == -1


def stops_when_training_diverges(case, m, ours, theirs):
    """scikit-learn trains on to ``max_iter`` on NaN; sknet stops where it diverges.

    With early stopping, scikit-learn then restores its best weights (its
    initial ones if no epoch scored), sknet keeps its best weights or, when no
    epoch was finite, raises; without early stopping both raise, scikit-learn
    after warning that ``max_iter`` was reached.
    """
    if m.step < 0:
        return False
    ours_call, theirs_call = ours.steps[m.step], theirs.steps[m.step]
    diverged = isinstance(ours_call.error, sknet.DivergenceError)
    if diverged and m.aspect == "warnings":
        return isinstance(theirs_call.error, ValueError)
    if theirs_call.error or not params_at(case, m.step)["early_stopping"]:
        return False
    scores = theirs_call.attributes.get("validation_scores_") or []
    if np.isfinite(scores).all():
        return False
    if diverged:
        return m.aspect == "outcome" and isinstance(ours_call.error, ValueError)
    return _numbers(m) and not ours_call.error


def exp_stays_finite(case, m, ours, theirs):
    """Poisson predictions past the float range: scikit-learn's are inf, sknet's finite.

    In training too: scikit-learn's overflowing exponential (a RuntimeWarning)
    makes its weights non-finite a step before sknet's clipped one does, if
    sknet's ever do.
    """
    if params_at(case, -1).get("loss") != "poisson":
        return False
    if m.aspect == "outcome" and m.step >= 0:
        overflowed = RuntimeWarning in theirs.steps[m.step].warnings
        return m.ours is None and _diverged(m.theirs) and overflowed
    if m.step != -1:
        return False
    if m.aspect == "outputs":  # a score of inf predictions: scikit-learn raises
        return "infinity" in str(m.theirs) and not isinstance(m.ours, Exception)
    if m.aspect != "values" or m.name != "predict":
        return False
    overflow = ~np.isfinite(m.theirs)
    agree = np.isclose(m.ours[~overflow], m.theirs[~overflow], rtol=1e-4)
    return bool(overflow.any() and np.isfinite(m.ours).all() and agree.all())


def refuses_zero_weight_split(case, m, ours, theirs):
    """sknet refuses an early-stopping split whose validation weights sum to
    zero before training; scikit-learn trains an epoch (and warns as it goes,
    e.g. about ``batch_size``) and then fails in its scorer."""
    if m.aspect != "warnings" or m.step < 0:
        return False
    error = ours.steps[m.step].error
    refused = isinstance(error, ValueError) and "early-stopping split" in str(error)
    return refused and set(m.ours) < set(m.theirs)
