"""The console's own metrics: what operations watch besides the shared HTTP ones."""

from __future__ import annotations

from prometheus_client import Counter

# `wrong` (a bad email or password, or an inactive account) or `throttled` (refused before
# checking); a burst of either is someone guessing passwords.
SIGNINS_FAILED = Counter(
    "console_signins_failed_total", "Sign-ins refused by the console", ["reason"]
)
