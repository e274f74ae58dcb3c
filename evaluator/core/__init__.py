"""The vocabulary every stage shares: issues, fields and units, progress/cancel, paths, atomic writes, TOML reading."""
