"""The command line and process entry points."""
