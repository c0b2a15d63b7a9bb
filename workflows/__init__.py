"""Workflows: thin and deterministic; every decision that needs data is taken by an activity."""
