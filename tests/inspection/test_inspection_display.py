"""AttributionDisplay draws what attributions() computes, ranked."""

import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from inspection_cases import TARGETS, X, network

from sknet import MLPClassifier
from sknet.inspection import AttributionDisplay, attributions


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_from_estimator_ranks_features_by_mean_absolute_attribution():
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
    model.fit(frame, TARGETS["multiclass"])
    display = AttributionDisplay.from_estimator(model, frame, max_features=3)

    A = attributions(model, frame)
    importance = np.abs(A).mean(axis=0)
    expected = np.argsort(-importance)[:3]
    np.testing.assert_array_equal(display.ranked_features_, expected)
    ticks = sorted(display.ax_.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in ticks] == [["a", "b", "c", "d"][j] for j in expected]
    widths = [bar.get_width() for bar in display.bars_]
    np.testing.assert_allclose(widths, importance[expected])
    assert display.points_.get_offsets().shape == (len(X) * 3, 2)
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_title() == "MLPClassifier"


def test_plot_on_given_axes_with_names_and_signed_colours():
    A = np.array([[1.0, -2.0], [3.0, -4.0]])
    _, ax = plt.subplots()
    display = AttributionDisplay(attributions=A, feature_names=["up", "down"], method="gradient")
    assert display.plot(ax=ax) is display and display.ax_ is ax
    ticks = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert ticks["down"] > ticks["up"]  # |-3| on average beats |2|: drawn above
    assert ax.get_xlabel() == "attribution (gradient)"
    colours = display.points_.get_facecolors()[:, :3]
    red, blue = matplotlib.colors.to_rgb("C3"), matplotlib.colors.to_rgb("C0")
    x = display.points_.get_offsets()[:, 0]
    np.testing.assert_allclose(colours[x > 0], [red] * 2)
    np.testing.assert_allclose(colours[x < 0], [blue] * 2)


def test_one_output_is_shown():
    model = network("regression-2")
    with pytest.raises(ValueError, match="pass target="):
        AttributionDisplay.from_estimator(model, X)
    display = AttributionDisplay.from_estimator(model, X, target=1, feature_names=list("wxyz"))
    assert len(display.ranked_features_) == 4


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    display = AttributionDisplay(attributions=np.ones((2, 2)))
    with pytest.raises(ImportError, match=r"sknet\[plot\]"):
        display.plot()


def test_from_estimator_passes_the_integration_options_on():
    model = network("regression", "relu", hidden=(8, 6))
    kwargs = dict(baseline="mean", n_steps=8, completeness_tol=None)
    display = AttributionDisplay.from_estimator(model, X, **kwargs)
    plain = np.abs(attributions(model, X, **kwargs)).mean(axis=0)
    default = np.abs(attributions(model, X, baseline="mean", n_steps=8)).mean(axis=0)
    assert not np.allclose(plain, default, rtol=1e-6)
    widths = [bar.get_width() for bar in display.bars_]
    np.testing.assert_allclose(widths, plain[display.ranked_features_])
