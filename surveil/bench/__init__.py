"""Benchmarks: commands that print tables for the README (speed is measured here, not in tests)."""
