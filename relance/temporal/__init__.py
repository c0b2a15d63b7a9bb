"""Temporal plumbing every domain shares: client and converter, codec, search attributes, starting and
signalling runs, revisions, worker registrations, cluster setup."""
