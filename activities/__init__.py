"""Activities: every piece of I/O the workflows need (database, SES, Temporal client)."""
