"""Typed tables → one row per enterprise: keys, name matching, sums, conflicts, and the audited corrections overlay."""
