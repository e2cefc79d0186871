"""Per-customer demo traits shared by the demo generators of several apps, so that orders,
interactions (and later complaints, surveys …) tell one consistent story about each customer.

Each trait is a deterministic function of (seed, customer id): no generator has to read another
app's rows, and the same seed gives the same traits on every machine. No domain knowledge here:
just how much, how often, and whether and when a customer goes quiet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# A small share of customers ("whales") buys far more per order: the value is lognormal with a
# heavy tail, so the top 20 % of customers bring roughly 70–80 % of the margin (Pareto-like).
VALUE_SIGMA = 1.4
ACTIVITY_SIGMA = 0.8
CHURN_SHARE = 0.22


@dataclass(frozen=True)
class CustomerTraits:
    value: float  # size of purchases relative to the average customer (mean ≈ 1)
    activity: float  # frequency of orders and contacts relative to the average (mean 1)
    churned: bool  # stopped buying at some point
    stop_at: float  # when, as a fraction (0–1) of the customer's active span; 1.0 = still active
    preference: float  # a uniform draw apps use for a favourite channel, product line, …


def customer_traits(seed: int, customer_id: int) -> CustomerTraits:
    rng = random.Random(seed * 1_000_003 + customer_id)
    # lognormvariate(mu, sigma) has mean exp(mu + sigma²/2): mu = −sigma²/2 gives mean 1.
    value = rng.lognormvariate(-VALUE_SIGMA**2 / 2, VALUE_SIGMA)
    activity = rng.lognormvariate(-ACTIVITY_SIGMA**2 / 2, ACTIVITY_SIGMA)
    churned = rng.random() < CHURN_SHARE
    stop_at = 0.35 + 0.55 * rng.random() if churned else 1.0
    return CustomerTraits(value=value, activity=activity, churned=churned, stop_at=stop_at,
                          preference=rng.random())


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal for large ones)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# Relative weight of each month (1–12) for sales: the run-up to Spring Festival, quarter-end
# pushes of the banks, the Double-11 shopping season; quiet in the Spring Festival holiday and summer.
MONTH_WEIGHTS = {1: 1.35, 2: 0.75, 3: 1.2, 4: 0.9, 5: 0.9, 6: 1.2, 7: 0.8, 8: 0.8, 9: 1.15, 10: 0.85, 11: 1.1,
                 12: 1.3}
