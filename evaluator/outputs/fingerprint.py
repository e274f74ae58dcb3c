"""The data fingerprint printed on every letter and report: which inputs produced this result.

When a firm appeals, the bureau must show that the letter in the firm's hands came from these
files, this scheme and these corrections. The project file passes its own `Project.fingerprint()`;
without one, the fingerprint is computed from what the run result carries.
"""

from __future__ import annotations

import hashlib

from ..merge.resolutions import data_resolutions
from ..pipeline.run import RunResult


def data_fingerprint(result: RunResult) -> str:
    """sha256 over the year, the input files' sha256 (in order: the first file wins conflicts),
    the scheme text, and every correction and tier override; 16 hex digits."""
    h = hashlib.sha256()
    h.update(str(result.year).encode())
    h.update(result.scheme.text.encode("utf-8"))
    for f in result.imported.files:
        h.update(f.sha256.encode())
    h.update(repr([(c.key, c.field, c.value) for c in result.corrections]).encode("utf-8"))
    h.update(repr([(o.key, o.tier) for o in result.overrides]).encode("utf-8"))
    data = data_resolutions(result.resolutions)
    if data:  # links and exclusions change which rows form a firm (none: the digest is as before)
        h.update(repr(data).encode("utf-8"))
    return h.hexdigest()[:16]
