"""The local stack: real services from PyPI wheels, started as child processes on 127.0.0.1."""
