"""The wealth app's models, one module per part."""
from wealth.models.coverage import CoverageGapSummary, InsurancePolicy, MemberIncome, PolicyEvent  # noqa: F401
from wealth.models.holdings import FxRate, Holding  # noqa: F401
from wealth.models.reviews import AssetReview, AssetReviewLine, ReviewCadence, ReviewSchedule  # noqa: F401
