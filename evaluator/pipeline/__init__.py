"""The orchestrator: read → clean → merge → evaluate (+ prior year) as one call; `RunResult`."""
