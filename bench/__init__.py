"""Benchmarks: relance against bare Temporal on the same local stack, in one run (`make bench`)."""
