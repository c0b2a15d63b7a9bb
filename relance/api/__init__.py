"""The HTTP API the host application calls (FastAPI): the same starter functions as the CLI."""
