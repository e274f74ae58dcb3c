"""The scheme and the evaluation: indicators, status, benchmarks, scores, tiers and ranks."""
