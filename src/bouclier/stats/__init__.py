"""Pure, seeded, keyword-only statistics shared by the release gate, the fairness and
performance gates and the rollout analysis.  numpy + scipy only.

See docs/statistics.md for the decision rule and the reasons behind each method.
"""

from bouclier.stats.agreement import Agreement, cohen_kappa, fleiss_kappa, krippendorff_alpha, unit_agreement
from bouclier.stats.bootstrap import BOOTSTRAP_MAX_UNITS
from bouclier.stats.changepoint import ChangePoint, detect_change_points
from bouclier.stats.comparison import (
    Comparison,
    PairedComparison,
    QuantileRatioComparison,
    ThresholdComparison,
    compare_paired,
    compare_quantile_ratio,
    compare_threshold,
    family_outcomes,
    paired_difference_interval,
)
from bouclier.stats.groups import (
    GroupDifferenceComparison,
    GroupRatioComparison,
    compare_group_ratio,
    compare_independent_difference,
)
from bouclier.stats.interval import Interval
from bouclier.stats.multiplicity import holm
from bouclier.stats.paired_proportions import mcnemar_exact, newcombe_paired_interval
from bouclier.stats.power import cases_for_effect, cases_needed, minimum_detectable_effect
from bouclier.stats.proportions import ProportionDifference, proportion_difference, wilson_interval
from bouclier.stats.quantiles import bootstrap_quantile_ratio
from bouclier.stats.ranks import RankComparison, hodges_lehmann, mann_whitney
from bouclier.stats.stability import UnpredictabilityIndex, unpredictability_index

__all__ = [
    "Agreement",
    "cohen_kappa",
    "fleiss_kappa",
    "krippendorff_alpha",
    "unit_agreement",
    "BOOTSTRAP_MAX_UNITS",
    "ChangePoint",
    "UnpredictabilityIndex",
    "detect_change_points",
    "unpredictability_index",
    "Comparison",
    "Interval",
    "PairedComparison",
    "ProportionDifference",
    "QuantileRatioComparison",
    "RankComparison",
    "ThresholdComparison",
    "bootstrap_quantile_ratio",
    "GroupDifferenceComparison",
    "GroupRatioComparison",
    "cases_for_effect",
    "compare_group_ratio",
    "compare_independent_difference",
    "cases_needed",
    "compare_paired",
    "compare_quantile_ratio",
    "compare_threshold",
    "family_outcomes",
    "hodges_lehmann",
    "holm",
    "mann_whitney",
    "mcnemar_exact",
    "minimum_detectable_effect",
    "newcombe_paired_interval",
    "paired_difference_interval",
    "proportion_difference",
    "wilson_interval",
]
