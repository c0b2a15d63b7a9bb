"""The merge fields of a renewal notice (seed 000): the contract's; there is no invoice behind it."""

from __future__ import annotations

from datetime import date, datetime

from relance import calendar
from relance.email import merge
from relance.email.recipient import Recipient
from relance.email.rendering import day, money
from relance.renewal.repository import ContractFile

FIELDS = {
    **merge.FIELDS,
    "ContractRef": "contract reference",
    "Customer": "customer's name",
    "TermEnd": "end of the current commitment term",
    "ContractAmount": "contract amount, empty when unknown",
}


def values(file: ContractFile, recipient: Recipient | None, term_end: date, now: datetime) -> dict[str, str]:
    org, contract = file.org, file.contract
    return {
        **merge.values(recipient, calendar.local_today(now, org.timezone), org.locale),
        "ContractRef": contract.ref,
        "Customer": file.account.name,
        "TermEnd": day(term_end, org.locale),
        # A contract without a known amount: empty, so `{% if ContractAmount %}` can leave the sentence out.
        "ContractAmount": "" if contract.amount is None else money(contract.amount, org.currency, org.locale),
    }
