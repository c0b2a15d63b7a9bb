"""Scenario simulation (seed 001, "Simuler"): a scenario walked step by step for one internal contact."""
