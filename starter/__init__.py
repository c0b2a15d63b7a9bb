"""The Python API the host application calls: start a run or a notice, tell a run its invoice changed,
cancel either."""

from starter.api import (
    cancel_reminders,
    cancel_renewal_notice,
    invoice_created,
    notify_invoice_changed,
    record_payment,
    set_dunning_activation,
    start_dunning_run,
    start_renewal_notice,
)

__all__ = [
    "cancel_reminders",
    "cancel_renewal_notice",
    "invoice_created",
    "notify_invoice_changed",
    "record_payment",
    "set_dunning_activation",
    "start_dunning_run",
    "start_renewal_notice",
]
