"""Inputs, results and vocabulary of a marketing enrolment, shared by the workflow, its activities and
callers. One dataclass per call so fields can be added without breaking running workflows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from relance.calendar import local_today
from relance.scenario.plan import PlannedStep


class ExitReason(StrEnum):
    """Why an enrolment ended; every one ends with exactly one (SPEC rule 4)."""

    COMPLETED = "completed"
    REMOVED = "removed"  # by whom and why in the detail
    OPTED_OUT = "opted_out"
    ADDRESS_SUPPRESSED = "address_suppressed"  # the address bounced or complained (the suppression list)
    CONTACT_DELETED = "contact_deleted"
    SCENARIO_OFF = "scenario_switched_off"
    SENDER_NOT_VERIFIED = "sender_not_verified"


class OptOutVia(StrEnum):
    """How a contact opted out of marketing."""

    LINK = "link"  # the unsubscribe page's button
    ONE_CLICK = "one_click"  # RFC 8058 List-Unsubscribe-Post from the mail client
    IMPORT = "import"
    API = "api"


@dataclass
class EnrolmentPlan:
    org_slug: str
    contact_ref: str
    scenario_key: str
    scenario_id: int
    scenario_name: str
    enrolment_id: int
    timezone: str
    started_at: datetime
    steps: list[PlannedStep] = field(default_factory=list)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None

    @property
    def anchor_date(self) -> date:
        """Offsets count from the day the contact was enrolled, in the organisation's zone."""
        return local_today(self.started_at, self.timezone)


@dataclass
class MarketingInput:
    org_slug: str
    scenario_key: str
    contact_ref: str
    enrolled_by: str
    revision: int = 0
    opportunity: dict[str, str] = field(default_factory=dict)  # merge fields, when a pipeline automation enrols


@dataclass
class BeginEnrolmentInput:
    workflow_id: str
    run_id: str
    org_slug: str
    scenario_key: str
    contact_ref: str
    enrolled_by: str
    now: datetime


@dataclass
class StepInput:
    workflow_id: str
    enrolment_id: int
    org_slug: str
    contact_ref: str
    scenario_key: str
    scenario_id: int
    position: int
    now: datetime
    resolving: bool = False  # the step's send was left uncertain and the reconciliation window has passed
    opportunity: dict[str, str] = field(default_factory=dict)  # the enrolment's (MarketingInput)


@dataclass
class ContactCheckInput:
    org_slug: str
    contact_ref: str
    scenario_key: str


@dataclass
class ContactCheck:
    exit_reason: ExitReason | None


@dataclass
class RemovalRequest:
    """Who removes the contact from the scenario, and why (both required)."""

    by: str
    reason: str


@dataclass
class FinishInput:
    workflow_id: str
    enrolment_id: int
    reason: ExitReason
    detail: str | None
    emails_sent: int
    now: datetime


@dataclass
class EnrolmentResult:
    reason: ExitReason
    detail: str | None
    emails_sent: int
    steps_done: int


# Recipients one campaign run sends to before it continues as new. Each costs 4.4 to 6 history events
# (its activity's three, and a share of the workflow tasks: a whole one each when sends are slow) and
# under 1 KB: 1,000 recipients in one run made 4,354 events on the test server, a batch of 500 up to
# 2,975 events (0.48 MB) on a loaded dev server. 10,000 in one run would make 44k to 60k events, at or
# past the server's limit of 50Ki per run; 500 keeps each run under its suggestion to continue (4Ki).
CAMPAIGN_BATCH = 500


@dataclass
class CampaignInput:
    org_slug: str
    campaign_key: str
    launch_at: datetime | None = None  # None: now
    revision: int = 0
    retry: list[str] = field(default_factory=list)  # contact refs of failed recipients to send to again
    batch_size: int = CAMPAIGN_BATCH
    carried: CampaignCarried | None = None  # set by continue-as-new: where the previous run stopped


@dataclass
class CampaignCarried:
    """What a campaign's run hands to the next one when it continues as new (a cancelled run never
    continues: it finishes, and a cancel arriving between two runs reaches the next one)."""

    campaign_id: int
    after_contact_id: int  # recipients are sent in contact id order: the next batch starts after this one
    progress: CampaignProgress
    uncertain: list[int] = field(default_factory=list)  # contact ids whose send is settled at the end
    settle_after: float = 0.0  # the reconciliation window, in seconds


@dataclass
class RecipientPage:
    """The next recipients still pending, after a contact id (a campaign's next batch)."""

    campaign_id: int
    after_contact_id: int
    limit: int


@dataclass
class CampaignRef:
    org_slug: str
    campaign_key: str
    now: datetime
    retry: list[str] = field(default_factory=list)


@dataclass
class CampaignAudience:
    """The recipients frozen at launch (contact ids, in order)."""

    campaign_id: int
    contact_ids: list[int]


@dataclass
class CampaignSendInput:
    org_slug: str
    campaign_key: str
    campaign_id: int
    contact_id: int
    now: datetime
    resolving: bool = False  # the send was left uncertain and the reconciliation window has passed


@dataclass
class CampaignFailureInput:
    campaign_id: int
    contact_id: int
    error: str
    now: datetime


@dataclass
class CampaignCancel:
    """Who cancelled a campaign and why."""

    by: str
    reason: str


@dataclass
class CampaignFinishInput:
    org_slug: str
    campaign_key: str
    campaign_id: int
    cancelled: CampaignCancel | None
    now: datetime


@dataclass
class CampaignProgress:
    total: int
    done: int
    sent: int
    skipped: int
    failed: int
    state: str


@dataclass
class CampaignResult:
    state: str  # finished | cancelled
    total: int
    sent: int
    skipped: int
    failed: int
    cancelled: int


@dataclass
class RecipientOutcome:
    """What one recipient's send did: sent, or skipped and why (opted out, deleted, no address, ...)."""

    state: str
    reason: str | None = None
    message_id: str | None = None
    # The send is uncertain (a worker died mid-send): ask again, resolving, after this many seconds.
    resolve_after: float | None = None
