"""The limits on what a person or a host application may enter, defined once and checked wherever a
value comes in (import file, CLI, starters the HTTP API shares), each past which a value could break
a run (a timer beyond what the server accepts), a sweep (an id Temporal refuses) or the machine (a file
or an email too big). Each check raises ValueError with a sentence naming the limit; the caller adds
the record and the field. Documented in docs/operations.md ("Limits")."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from models.columns import MONEY_DIGITS, MONEY_PLACES


class Refused(ValueError):
    """Input refused, with a sentence naming the record and the field: shown as is (CLI, API). With
    several `problems`, the sentence sums them up and the API lists each."""

    def __init__(self, sentence: str, problems: list[str] | None = None):
        super().__init__(sentence)
        self.problems = problems or [sentence]


FIRST_YEAR, LAST_YEAR = 1900, 2200  # business dates: a timer beyond would break a run
MAX_DAYS = 3650  # a pause, a step offset, a task's due delay, a renewal alert: ten years
MAX_ID_LENGTH = 200  # invoice numbers, refs, slugs, keys: workflow ids stay far inside Temporal's 1,000
MAX_NAME_LENGTH = 500  # names, labels, titles, subjects
MAX_TEMPLATE_LENGTH = 100_000  # a template's source text
MAX_RENDERED_BYTES = 512 * 1024  # an email as rendered (SES takes 10 MB with attachments; reminders are text)
MAX_RENDER_SECONDS = 1.0  # one template rendered once: a reminder takes under a millisecond
MAX_RENDER_SECONDS_PER_REQUEST = 5.0  # every render of one import or request together (a file of many templates)
MAX_RANGE = 10_000  # items of a template's range()
# An import file is taken or refused within 10 s and MAX_IMPORT_MEMORY_BYTES (bench/import_bounds.py: on
# the shared 2-core machine, 9,000 invoices took 22 s, 2,000 took 5 s): a host syncs more in several
# files. 5,000 invoices in YAML are about 0.7 MB and 75,000 values.
MAX_FILE_BYTES = 1024 * 1024
MAX_FILE_RECORDS = 5_000  # mappings in an import file once read (an invoice, a payment, an account...)
MAX_FILE_VALUES = 200_000  # values in an import file once read; YAML aliases expand
MAX_FILE_DEPTH = 32  # lists and mappings inside each other (the format needs about 10)
MAX_IMPORT_MEMORY_BYTES = 300 * 1024 * 1024  # an import's process, at most (relance.importing.guard)
# Documents attached to emails (relance.documents). SES takes 10 MB per whole message, attachments
# base64-encoded (+37 % with line breaks): 6 MB of attachments make 8.2 MB, leaving room for the bodies.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024  # one document, checked when it arrives
MAX_ATTACHMENTS_BYTES = 6 * 1024 * 1024  # an invoice's documents together (one email attaches them all)
MAX_ALIAS_VALUES = 100_000  # values YAML aliases may add to a file beyond those written in it
MAX_AMOUNT = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES) - Decimal(10) ** -MONEY_PLACES  # the columns' Numeric


@cache
def currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def check_currency(code: str) -> str:
    if code not in currencies():
        raise ValueError(f"unknown currency {code!r}: use an ISO 4217 code such as EUR, USD, GBP")
    return code


def check_amount(amount: Decimal, currency: str, *, positive: bool) -> Decimal:
    """Finite, within the amount columns, never negative (positive for a payment), and with no more
    decimals than the currency has: refused, never rounded."""
    if not amount.is_finite():
        raise ValueError(f"not a number: {amount}")
    if amount < 0 or (positive and amount == 0):
        raise ValueError(f"must be {'positive' if positive else 'zero or more'}, got {amount}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"at most {MAX_AMOUNT}, got {amount:.2E}" if amount >= 10**15 else
                         f"at most {MAX_AMOUNT}, got {amount}")
    places = min(get_currency_precision(currency), MONEY_PLACES)
    if amount != amount.quantize(Decimal(10) ** -places):
        raise ValueError(f"{amount} has more decimals than {currency} allows ({places}); not rounded")
    return amount


def check_days(days: int, *, negative: bool = False) -> int:
    low = -MAX_DAYS if negative else 0
    if not low <= days <= MAX_DAYS:
        raise ValueError(f"must be between {low} and {MAX_DAYS} days, got {days}")
    return days


def check_text(value: str) -> str:
    """Text PostgreSQL takes: no NUL character."""
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value


def check_identifier(value: str) -> str:
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"at most {MAX_ID_LENGTH} characters, got {len(value)}")
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    return value
