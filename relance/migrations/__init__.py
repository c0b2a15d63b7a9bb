"""Alembic migrations of the relance schema."""
