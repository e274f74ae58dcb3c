"""The data fingerprint printed on letters and reports (defined once in `evaluator.pipeline.fingerprint`)."""

from __future__ import annotations

from ..pipeline.fingerprint import data_fingerprint, verification_code

__all__ = ["data_fingerprint", "verification_code"]
