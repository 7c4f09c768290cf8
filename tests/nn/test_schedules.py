import math

import pytest

from sknet.nn import schedules


def test_constant_keeps_the_rate_and_stops_on_plateau():
    s = schedules.get("constant")
    assert s.epoch_end(0.1, 0.1, 5000, 3) == 0.1
    assert s.plateau(0.1) == (0.1, True)


def test_invscaling_closed_form():
    s = schedules.get("invscaling", power_t=0.25)
    assert s.epoch_end(0.1, 0.1, 999, 1) == pytest.approx(0.1 / 1000**0.25)


def test_adaptive_divides_by_five_then_stops():
    s = schedules.get("adaptive")
    assert s.epoch_end(0.1, 0.1, 10, 1) == 0.1
    assert s.plateau(0.1) == (pytest.approx(0.02), False)
    assert s.plateau(1e-6)[1] is True


# After a cycle of n_epochs the rate restarts from lr0 (a warm restart).
@pytest.mark.parametrize("epoch, factor", [(0, 1.0), (5, 0.5), (10, 1.0), (15, 0.5)])
def test_cosine_closed_form(epoch, factor):
    s = schedules.get("cosine", n_epochs=10)
    assert s.epoch_end(0.2, 0.2, 0, epoch) == pytest.approx(0.2 * factor, abs=1e-12)
    assert s.epoch_end(0.2, 0.2, 0, 3) == pytest.approx(0.1 * (1 + math.cos(0.3 * math.pi)))


def test_unknown_schedule_names_the_choices():
    with pytest.raises(ValueError, match="cosine"):
        schedules.get("step")


@pytest.mark.parametrize("name", sorted(schedules.SCHEDULES))
def test_every_schedule_starts_at_lr0_and_answers_a_plateau(name):
    s = schedules.get(name, power_t=0.5, n_epochs=10, unused=1)
    assert s.epoch_end(0.2, 0.2, 0, 0) == pytest.approx(0.2)
    new_lr, stop = s.plateau(0.2)
    assert isinstance(stop, bool) and 0 < new_lr <= 0.2
    assert stop is not s.lowers_rate  # a schedule that lowers the rate goes on
