"""What an email or a task is about, named without a foreign key to the domain's table."""

from dataclasses import dataclass


@dataclass(frozen=True)
class About:
    kind: str  # invoice | contract | user | contact | opportunity | ...
    ref: str  # the invoice number, contract reference, user address, ...
