"""Invoice dunning (SPEC A, seeds 001 and 002): an invoice's reminder scenario, from the nightly sweep
or its creation until it is paid, cancelled or the scenario ends."""
