"""Database tables (SQLModel). Alembic migrations live in migrations/."""

from models.dunning import Invoice, InvoiceStatus, Payment
from models.organisation import Organisation, SenderMode
from models.parties import Account, AppUser, Contact
from models.renewal import Contract, ContractStatus, RenewalNotice, RenewalSettings
from models.run import DunningRun, RunEvent, Task
from models.scenario import EmailTemplate, Scenario, ScenarioStep, StepKind

__all__ = [
    "Account",
    "AppUser",
    "Contact",
    "Contract",
    "ContractStatus",
    "DunningRun",
    "EmailTemplate",
    "Invoice",
    "InvoiceStatus",
    "Organisation",
    "Payment",
    "RenewalNotice",
    "RenewalSettings",
    "RunEvent",
    "Scenario",
    "ScenarioStep",
    "SenderMode",
    "StepKind",
    "Task",
]
