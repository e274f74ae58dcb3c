"""The data fingerprint of one evaluation: which inputs produced a result.

When a firm appeals, the bureau must show that the letter in the firm's hands came from these
files, read this way, with these corrections, this scheme and this year. There is exactly one
definition (`fingerprint_of`): the letters, the graded list, the summary report, the `--json`
result, the project file and the audit workbook all print it, whether the result came from the
command line, `mujun report` or the desktop app, so any two of them can be checked against each
other. Documents a firm receives print the short `verification_code` instead of the raw digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from ..merge.corrections import Correction
from ..merge.resolutions import Resolution, data_resolutions
from ..method.evaluate import TierOverride
from ..read.mapping import Mapping
from .run import RunResult

# Crockford's base-32 alphabet: no I, L, O or U, so a code read out over the phone is unambiguous.
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def fingerprint_of(year: int, scheme_text: str, file_digests: Iterable[str], mapping: Mapping | None,
                   corrections: Sequence[Correction], overrides: Sequence[TierOverride],
                   resolutions: Sequence[Resolution] = ()) -> str:
    """sha256 over the year, the scheme text, the input files' sha256 in order (the first file wins
    conflicts), the column mapping rules in order, every correction, every tier override and every
    review decision that changes which rows form a firm (links, code corrections, exclusions);
    16 hex digits."""
    h = hashlib.sha256()
    h.update(str(year).encode())
    h.update(scheme_text.encode("utf-8"))
    for digest in file_digests:
        h.update(digest.encode())
    h.update(repr([m.to_dict() for m in (mapping.sheets if mapping else [])]).encode("utf-8"))
    h.update(repr([(c.key, c.field, c.value) for c in corrections]).encode("utf-8"))
    h.update(repr([(o.key, o.tier) for o in overrides]).encode("utf-8"))
    data = data_resolutions(resolutions)
    if data:  # none before the review cycle, so older fingerprints stay as they were
        h.update(repr(data).encode("utf-8"))
    return h.hexdigest()[:16]


def data_fingerprint(result: RunResult) -> str:
    """The fingerprint of the inputs a run result was computed from."""
    imp = result.imported
    return fingerprint_of(result.year, result.scheme.text, (f.sha256 for f in imp.files), imp.mapping,
                          result.corrections, result.overrides, result.resolutions)


def verification_code(fingerprint: str) -> str:
    """`7K3M-9QX2`: the first 40 bits of the fingerprint in base 32, in two groups of four."""
    bits = int(fingerprint[:10], 16)
    chars = [_CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(7, -1, -1)]
    return "".join(chars[:4]) + "-" + "".join(chars[4:])
