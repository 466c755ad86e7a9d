"""The confirmation latency benchmark: `python -m bench.confirmation_latency` (see README.md)."""
