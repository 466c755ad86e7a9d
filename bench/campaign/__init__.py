"""The campaign benchmark: `python -m bench.campaign` (see README.md)."""
