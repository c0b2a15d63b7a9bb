"""Database tables (SQLModel). Alembic migrations live in migrations/."""

from models.invoice import Invoice, InvoiceStatus, Payment
from models.organisation import Organisation, SenderMode
from models.parties import Account, AppUser, Contact
from models.run import DunningRun, RunEvent, Task
from models.scenario import EmailTemplate, Scenario, ScenarioStep, StepKind

__all__ = [
    "Account",
    "AppUser",
    "Contact",
    "DunningRun",
    "EmailTemplate",
    "Invoice",
    "InvoiceStatus",
    "Organisation",
    "Payment",
    "RunEvent",
    "Scenario",
    "ScenarioStep",
    "SenderMode",
    "StepKind",
    "Task",
]
