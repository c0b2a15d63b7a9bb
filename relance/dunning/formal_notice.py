"""What a French formal notice (mise en demeure) states for a late business invoice, Code de commerce
L441-10: the fixed recovery indemnity (40 €, D441-5) and late-payment interest at the organisation's
rate over the days late."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_percent

RECOVERY_INDEMNITY = Decimal("40.00")  # euros, whatever the invoice's amount (D441-5)
RECOVERY_INDEMNITY_CURRENCY = "EUR"
DAYS_A_YEAR = Decimal(365)


def days_late(due: date, today: date) -> int:
    return max(0, (today - due).days)


def late_interest(amount_due: Decimal, yearly_rate_percent: Decimal, days: int) -> Decimal:
    """Simple interest on what is still due, to the cent (half up)."""
    interest = amount_due * yearly_rate_percent / 100 * days / DAYS_A_YEAR
    return interest.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def rate(yearly_rate_percent: Decimal, locale: str) -> str:
    """12,15 % in French, 12.15% in English."""
    return format_percent(yearly_rate_percent / 100, locale=locale, decimal_quantization=False)
