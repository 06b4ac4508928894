"""Agreement statistics against published worked examples and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from bouclier.stats.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, unit_agreement

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, missing values. Published: nominal .743, ordinal .815, interval .849, ratio .797.
OBSERVERS = [[1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
             [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
             [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
             [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]]
UNITS = [list(u) for u in zip(*OBSERVERS)]


@pytest.mark.parametrize("level,published", [("nominal", 0.743), ("ordinal", 0.815),
                                             ("interval", 0.849), ("ratio", 0.797)])
def test_krippendorff_worked_example(level, published):
    assert krippendorff_alpha(units=UNITS, level=level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_three_coders_example():
    # Krippendorff's 3 coders x 15 units example (nominal .691, interval .811).
    coders = [[N, N, N, N, N, 3, 4, 1, 2, 1, 1, 3, 3, N, 3],
              [1, N, 2, 1, 3, 3, 4, 3, N, N, N, N, N, N, N],
              [N, N, 2, 1, 3, 4, 4, N, 2, 1, 1, 3, 3, N, 4]]
    units = [list(u) for u in zip(*coders)]
    assert krippendorff_alpha(units=units, level="nominal") == pytest.approx(0.691, abs=5e-4)
    assert krippendorff_alpha(units=units, level="interval") == pytest.approx(0.811, abs=5e-4)


def test_krippendorff_perfect_and_undefined():
    assert krippendorff_alpha(units=[[1, 1], [2, 2], [3, 3]], level="ordinal") == pytest.approx(1.0)
    assert krippendorff_alpha(units=[[2, 2], [2, 2]]) is None  # no variation at all
    assert krippendorff_alpha(units=[[1], [2, None]]) is None  # nothing pairable
    assert krippendorff_alpha(units=[]) is None
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(units=[[1, 2]], level="cardinal")


def test_krippendorff_random_raters_near_zero():
    rng = np.random.default_rng(7)
    units = rng.integers(1, 6, size=(2000, 3)).tolist()
    alpha = krippendorff_alpha(units=units, level="ordinal")
    assert abs(alpha) < 0.05


def test_fleiss_wikipedia_example_and_statsmodels():
    # Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa 0.210.
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert fleiss_kappa(counts=table) == pytest.approx(0.210, abs=5e-4)
    rng = np.random.default_rng(3)
    for _ in range(5):
        t = rng.multinomial(4, [0.5, 0.3, 0.2], size=30)
        assert fleiss_kappa(counts=t) == pytest.approx(sm_fleiss_kappa(t), abs=1e-12)


def test_fleiss_bad_input():
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa(counts=[[1, 1], [2, 1]])
    with pytest.raises(ValueError, match="at least 2"):
        fleiss_kappa(counts=[[1, 0], [0, 1]])
    assert fleiss_kappa(counts=[[3, 0], [3, 0]]) is None


def test_cohen_wikipedia_example_and_statsmodels():
    # Wikipedia: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    agreement = cohen_kappa(first=a, second=b, labels=["yes", "no"])
    assert agreement.accuracy == pytest.approx(0.7)
    assert agreement.kappa == pytest.approx(0.4)
    assert agreement.matrix == ((20, 5), (10, 15))
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, 200)
    y = np.where(rng.random(200) < 0.6, x, rng.integers(0, 3, 200))
    ours = cohen_kappa(first=x.tolist(), second=y.tolist())
    assert ours.kappa == pytest.approx(sm_cohens_kappa(np.array(ours.matrix)).kappa, abs=1e-12)


def test_cohen_undefined_and_bad_input():
    assert cohen_kappa(first=["a", "a"], second=["a", "a"]).kappa is None
    assert cohen_kappa(first=[], second=[]).accuracy is None
    with pytest.raises(ValueError, match="same length"):
        cohen_kappa(first=["a"], second=[])
    with pytest.raises(ValueError, match="not in labels"):
        cohen_kappa(first=["a"], second=["b"], labels=["a"])


def test_unit_agreement():
    assert unit_agreement(values=[3, 3, 3]) == 1.0
    assert unit_agreement(values=[3, 3, 4]) == pytest.approx(1 / 3)
    assert unit_agreement(values=[3, None]) is None
    assert unit_agreement(values=[1, 2, 3]) == 0.0
