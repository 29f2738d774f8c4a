"""Shared pytest configuration: hypothesis profiles.

On CI (``CI`` set in the environment) slow property runs get the smaller ``ci`` budget;
``HYPOTHESIS_PROFILE`` picks a profile explicitly (``thorough`` for a long local run).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)
