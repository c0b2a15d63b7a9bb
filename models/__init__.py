"""Database tables (SQLModel). Alembic migrations live in migrations/."""

from models.about import About
from models.agency import (
    Agency,
    AgencyKindSetting,
    AgencyStaff,
    AgencyTemplate,
    Booking,
    BookingPayment,
    BookingStatus,
    Draft,
    DraftKind,
    DraftStatus,
    Property,
    SendBatch,
)
from models.api import ApiKey, IdempotentRequest
from models.customer_dunning import ScenarioRule
from models.deliverability import EmailEvent, EmailEventKind, Suppression, SuppressionReason
from models.documents import Document
from models.dunning import DunningRun, Invoice, InvoiceStatus, Payment, RunEvent
from models.email import EmailLedgerEntry, EmailState
from models.marketing import CampaignRecipient, CampaignState, EmailCampaign, MarketingEnrolment
from models.organisation import Organisation, SenderMode
from models.parties import Account, AppUser, Contact
from models.pipeline import (
    ActionType,
    AutomationRun,
    FeedNotification,
    Opportunity,
    OpportunityAction,
    OpportunityResult,
    PipelineEvent,
    PipelineRule,
    ProcessStage,
    Quote,
    SalesProcess,
)
from models.renewal import Contract, ContractStatus, RenewalNotice, RenewalSettings
from models.scenario import EmailTemplate, Scenario, ScenarioPurpose, ScenarioStep, StepKind, TemplateTranslation
from models.task import Task
from models.web import SignInThrottle, StaffAccount, StaffSession, StaffSignInLink
from models.webhooks import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ActionType",
    "Agency",
    "AgencyKindSetting",
    "AgencyStaff",
    "AgencyTemplate",
    "AutomationRun",
    "Booking",
    "BookingPayment",
    "BookingStatus",
    "Draft",
    "DraftKind",
    "DraftStatus",
    "FeedNotification",
    "Opportunity",
    "OpportunityAction",
    "OpportunityResult",
    "PipelineEvent",
    "PipelineRule",
    "ProcessStage",
    "Property",
    "Quote",
    "SalesProcess",
    "SendBatch",
    "About",
    "Account",
    "CampaignRecipient",
    "CampaignState",
    "ApiKey",
    "AppUser",
    "Contact",
    "Contract",
    "ContractStatus",
    "DeliveryState",
    "Document",
    "DunningRun",
    "EmailCampaign",
    "EmailEvent",
    "EmailEventKind",
    "EmailLedgerEntry",
    "EmailState",
    "EmailTemplate",
    "IdempotentRequest",
    "Invoice",
    "MarketingEnrolment",
    "InvoiceStatus",
    "Organisation",
    "Payment",
    "RenewalNotice",
    "RenewalSettings",
    "RunEvent",
    "Scenario",
    "ScenarioRule",
    "ScenarioPurpose",
    "ScenarioStep",
    "SenderMode",
    "SignInThrottle",
    "StaffAccount",
    "StaffSession",
    "StaffSignInLink",
    "StepKind",
    "Suppression",
    "SuppressionReason",
    "Task",
    "TemplateTranslation",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
]
