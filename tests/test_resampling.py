"""surveysem.resampling: the fewest resamples of a percentile CI (5 beyond each bound)."""

import pytest

from surveysem import resampling


@pytest.mark.parametrize("level, need", [(0.95, 200), (0.90, 100), (0.99, 1000), (0.80, 50)])
def test_min_resamples_is_ten_over_one_minus_level(level, need):
    assert resampling.min_resamples(level) == need
    assert resampling.enough_resamples(need, level) and not resampling.enough_resamples(need - 1, level)
    # at the minimum, B (1 - level) / 2 = 5 resamples lie beyond each bound
    assert need * (1 - level) / 2 == pytest.approx(resampling.MIN_TAIL)


def test_the_reason_in_words():
    assert resampling.too_few_text(20, 0.95) == ("20 usable resamples; a 95% percentile CI needs at least 200 "
                                                 "(5 beyond each bound)")
    with pytest.raises(ValueError):
        resampling.min_resamples(1.0)
