"""Simulators of the consultation room's devices (ours, for tests, the demo and the benchmark)."""
