"""Working-day arithmetic for the review cycle's periods (公示, objections)."""

from __future__ import annotations

import datetime as dt


def objection_deadline(publicity_start: dt.date, days: int) -> dt.date:
    """Last day of a 公示 period of `days` working days that starts on `publicity_start` (counted
    in when it is a working day). Monday–Friday only: public holidays are not known to the
    program, so a period across one must be lengthened in the settings."""
    d = publicity_start
    count = 1 if d.weekday() < 5 else 0
    while count < days:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            count += 1
    return d
