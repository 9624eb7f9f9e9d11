"""Fidelity checks (issue 7)."""
