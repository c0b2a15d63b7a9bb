"""The Python API the host application calls: start a run, tell it its invoice changed, cancel it."""

from starter.api import (
    cancel_reminders,
    invoice_created,
    notify_invoice_changed,
    record_payment,
    set_dunning_activation,
    start_dunning_run,
)

__all__ = [
    "cancel_reminders",
    "invoice_created",
    "notify_invoice_changed",
    "record_payment",
    "set_dunning_activation",
    "start_dunning_run",
]
