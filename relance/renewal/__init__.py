"""Contract renewal notices (SPEC B, seed 000): one email per contract and commitment term."""
