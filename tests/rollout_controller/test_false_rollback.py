"""False rollback rate over many identical canaries (A/A), at the nominal level.

Each simulated rollout is judged at every step of the default plan (5, 25, 50 %), on the
step's own window, with the level the controller uses (budget / planned analyses); a
rollout counts as falsely rolled back when any judgement is ``fail`` or ``critical``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from bouclier.rollout.analysis import analyse
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.simulation import Behaviour, synthesise

ROLLOUTS = 120


def test_false_rollback_rate_of_identical_canaries_is_at_most_nominal():
    plan = RolloutConfig(model="clf", rollout_id="aa")
    alpha = plan.analysis.false_rollback_rate / plan.planned_analyses
    rng = np.random.default_rng(20240607)
    b = Behaviour(error_rate=0.02, refusal_rate=0.05)
    rolled_back = 0
    for _ in range(ROLLOUTS):
        for step in plan.steps[:-1]:
            n = 800
            n_c = max(60, int(n * step.weight / 100))
            s, sf = synthesise(rng=rng, rollout_id="aa", variant="stable", n=n - n_c, behaviour=b, start=0, end=1)
            c, cf = synthesise(rng=rng, rollout_id="aa", variant="canary", n=n_c, behaviour=b, start=0, end=1)
            a = analyse(stable=s, canary=c, stable_feedback=sf, canary_feedback=cf, config=plan.analysis,
                        alpha=alpha, min_requests=50)
            if a.verdict in ("fail", "critical"):
                rolled_back += 1
                break
    nominal = plan.analysis.false_rollback_rate
    # reject "rate <= nominal" only on strong evidence (one-sided binomial test at 1%)
    p = stats.binomtest(rolled_back, ROLLOUTS, nominal, alternative="greater").pvalue
    assert p > 0.01, f"{rolled_back}/{ROLLOUTS} identical canaries rolled back (nominal {nominal:.0%})"
