"""Calls from the host application (and the CLI) into invoices' dunning runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import select
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from models import Account, DunningRun, Invoice, Organisation, Payment, RunEvent, Scenario
from relance import limits
from relance.db import Database
from relance.dunning import forecast as forecasting
from relance.dunning import repository, rules
from relance.dunning.ids import dunning_workflow_id, import_sweep_id
from relance.dunning.settings import DunningChange, DunningSettings, change_settings
from relance.dunning.starting import start_dunning_run
from relance.dunning.types import RESTARTABLE, PauseAnswer, PauseRequest, ResumeRequest
from relance.email.mailer import SesMailer
from relance.importing.format import InvoiceIn
from relance.importing.invoice import save_invoice as write_invoice
from relance.nightly import SweepRequest, SweepResult
from relance.scenario.plan import CancelRequest, RunState, WalkStatus
from relance.temporal.starting import signal_if_running, update_if_running, update_or_refuse
from workflows.dunning import DunningSweepWorkflow, InvoiceDunningWorkflow

__all__ = ["apply_scenario_now", "cancel_reminders", "change_dunning_settings", "exclude_account", "forecast",
           "invoice_created", "invoice_updated", "notify_invoice_changed", "pause_reminders", "record_payment",
           "restart_if_remindable", "resume_reminders", "run_report", "save_invoice", "send_next_now",
           "set_dunning_activation", "start_dunning_run", "start_missing_runs", "wake_held_runs"]


class RunNotRunning(limits.Refused):
    """The invoice's run has ended (or never started): nothing to pause or resume."""


async def notify_invoice_changed(client: Client, org_slug: str, invoice_number: str) -> bool:
    return await signal_if_running(client, dunning_workflow_id(org_slug, invoice_number),
                                   InvoiceDunningWorkflow.invoice_changed)


async def invoice_updated(client: Client, db: Database, task_queue: str, org_slug: str, invoice_number: str) -> bool:
    """The host changed an invoice: its running run re-checks it now; a run that ended because the invoice was
    in payment or not to be reminded starts again if it can be reminded now. True when a run started again."""
    if await notify_invoice_changed(client, org_slug, invoice_number):
        return False
    return await restart_if_remindable(client, db, task_queue, org_slug, invoice_number) is not None


async def restart_if_remindable(client: Client, db: Database, task_queue: str, org_slug: str,
                                invoice_number: str) -> WorkflowHandle | None:
    """A new life of the invoice's ended run (same workflow id, a new Temporal run of it), when it ended
    for a reason that can pass (in payment, do not remind, payment schedule) and the invoice is to be
    reminded again: it walks on after the steps its earlier lives settled (activities.dunning._reopen),
    and the send-once ledger, keyed by workflow id and step, refuses a step already sent. None otherwise."""
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number, with_contacts=False)
        run = (await session.exec(select(DunningRun).where(DunningRun.invoice_id == file.invoice.id))).first()
    if run is None or run.ended_at is None or run.exit_reason not in RESTARTABLE:
        return None
    if rules.exit_reason(file.invoice, file.amount_due) is not None:
        return None
    return await start_dunning_run(client, task_queue, org_slug, invoice_number, file.account.ref, life=run.life + 1)


async def pause_reminders(client: Client, db: Database, org_slug: str, invoice_number: str,
                          request: PauseRequest) -> PauseAnswer:
    """Pause the invoice's run until a date (promise to pay, dispute) through its `pause` update, which
    checks the request against the run's business time and answers when it resumes. NotFound for an
    unknown invoice, RunNotRunning when its run has ended, limits.Refused naming the field otherwise; a
    refused pause writes nothing."""
    return await _update_run(client, db, org_slug, invoice_number, "pause", InvoiceDunningWorkflow.pause, request,
                             PauseAnswer)


async def resume_reminders(client: Client, db: Database, org_slug: str, invoice_number: str,
                           request: ResumeRequest) -> WalkStatus:
    """End the pause of the invoice's run now (a dispute resolved); answers the run's status."""
    return await _update_run(client, db, org_slug, invoice_number, "resume", InvoiceDunningWorkflow.resume, request,
                             WalkStatus)


async def _update_run(client: Client, db: Database, org_slug: str, invoice_number: str, what: str, update, request,
                      result_type: type):
    await _running_run(db, org_slug, invoice_number, what)
    try:
        return await update_or_refuse(
            client, dunning_workflow_id(org_slug, invoice_number), update, request, what=f"invoice {invoice_number!r}",
            result_type=result_type,
            missing=f"invoice {invoice_number!r} of organisation {org_slug!r} has no running dunning run")
    except ValueError as exc:
        raise limits.Refused(str(exc)) from exc


async def _running_run(db: Database, org_slug: str, invoice_number: str, what: str) -> None:
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number, with_contacts=False)
        run = (await session.exec(select(DunningRun).where(DunningRun.invoice_id == file.invoice.id))).first()
    if run is None:
        raise RunNotRunning(f"invoice {invoice_number!r} has no dunning run: nothing to {what}")
    if run.ended_at is not None:
        raise RunNotRunning(f"invoice {invoice_number!r}: its dunning run has ended ({run.exit_reason}): "
                            f"nothing to {what}")


async def exclude_account(client: Client, db: Database, org_slug: str, account_ref: str, reason: str | None) -> int:
    """Exclude an account from dunning (`reason`) or lift its exclusion (None). Its runs hold at their next
    step, recorded with the reason; lifting wakes the held ones, which go on where they were (the step
    now, the later ones spaced as the scenario says). Returns how many held runs were woken."""
    if reason is not None:
        try:
            limits.check_text(reason)
            if not reason.strip() or len(reason) > limits.MAX_NAME_LENGTH:
                raise ValueError(f"why, as text of 1 to {limits.MAX_NAME_LENGTH} characters")
        except ValueError as exc:
            raise limits.Refused(f"account {account_ref!r}: field reason: {exc}") from exc
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        account = (await session.exec(select(Account).where(Account.org_id == org.id,
                                                            Account.ref == account_ref))).first()
        if account is None:
            raise repository.NotFound(f"account {account_ref!r} of organisation {org_slug!r} not found")
        account.dunning_excluded = reason.strip() if reason is not None else None
        session.add(account)
    return 0 if reason is not None else await wake_held_runs(client, db, org_slug, [account_ref])


async def wake_held_runs(client: Client, db: Database, org_slug: str, account_refs: list[str] | None = None) -> int:
    """Tell the held runs of the organisation (of these accounts only, if given) to try their step now;
    how many were woken."""
    query = select(DunningRun.workflow_id).join(Organisation, Organisation.id == DunningRun.org_id).where(
        Organisation.slug == org_slug, DunningRun.ended_at.is_(None), DunningRun.state == RunState.HELD)
    if account_refs is not None:
        query = query.join(Invoice, Invoice.id == DunningRun.invoice_id).join(
            Account, Account.id == Invoice.account_id).where(Account.ref.in_(account_refs))
    async with db.session() as session:
        held = (await session.exec(query)).all()
    woken = 0
    for workflow_id in held:
        woken += await signal_if_running(client, workflow_id, InvoiceDunningWorkflow.settings_changed)
    return woken


async def cancel_reminders(client: Client, org_slug: str, invoice_number: str, reason: str,
                           by: str) -> str | None:
    """Cancel through the run's `cancel` update, so the caller learns the outcome: the run's exit reason
    ("cancelled", or how it ended if a step was already going), "stopping", or None when no run is
    running. A malformed cancel raises WorkflowUpdateFailedError saying what is wrong."""
    return await update_if_running(client, dunning_workflow_id(org_slug, invoice_number),
                                   InvoiceDunningWorkflow.cancel, CancelRequest(reason=reason, by=by))


async def invoice_created(client: Client, db: Database, task_queue: str, org_slug: str,
                          invoice_number: str) -> WorkflowHandle | None:
    """Seed 002's "activation by default": a new invoice gets its run at once, so steps before the
    due date can go. Otherwise the nightly sweep picks it up once overdue."""
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number)
    org = file.org
    if not (org.dunning_enabled and org.dunning_apply_to_new_invoices):
        return None
    if rules.exit_reason(file.invoice, file.amount_due) is not None:
        return None
    return await start_dunning_run(client, task_queue, org_slug, invoice_number, file.account.ref)


async def apply_scenario_now(client: Client, db: Database, task_queue: str, org_slug: str, invoice_number: str,
                             by: str) -> WorkflowHandle | None:
    """Seed 002's "apply the scenario to this invoice": its run starts now, whatever its due date and
    whether the organisation applies dunning to new invoices; its timeline says who asked. Refused
    (limits.Refused) when nothing is due; None when the invoice has a run already (never started twice)."""
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number, with_contacts=False)
    reason = rules.exit_reason(file.invoice, file.amount_due)
    if reason is not None:
        raise limits.Refused(f"invoice {invoice_number!r}: no scenario to apply, the invoice is {reason}")
    return await start_dunning_run(client, task_queue, org_slug, invoice_number, file.account.ref, by)


async def send_next_now(client: Client, org_slug: str, invoice_number: str, by: str) -> WalkStatus:
    """The step the run waits for goes now instead of at the end of its pause; the timeline says who asked.
    NotFound when the invoice has no running run, ValueError with the run's reason when it has no step
    waiting."""
    return await update_or_refuse(
        client, dunning_workflow_id(org_slug, invoice_number), InvoiceDunningWorkflow.send_now, by,
        what=f"invoice {invoice_number!r}", result_type=WalkStatus,
        missing=f"invoice {invoice_number!r} of organisation {org_slug!r} has no running dunning run")


async def record_payment(client: Client, db: Database, org_slug: str, invoice_number: str, amount: Decimal,
                         ref: str, paid_on: date) -> Decimal:
    """Store a payment and wake the run, which exits now if nothing is owed any more. Returns the amount due.
    Refused (limits.Refused, nothing written): a ref too long or already recorded on the invoice, an
    amount not positive, beyond the column or with more decimals than the currency has."""
    where = f"payment {ref if len(ref) <= 40 else ref[:40] + '…'!r} of invoice {invoice_number!r}"
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number)
        for name, check in (("ref", lambda: limits.check_identifier(ref)),
                            ("amount", lambda: limits.check_amount(amount, file.org.currency, positive=True))):
            try:
                check()
            except ValueError as exc:
                raise limits.Refused(f"{where}: field {name}: {exc}") from exc
        existing = (await session.exec(select(Payment).where(
            Payment.invoice_id == file.invoice.id, Payment.ref == ref))).first()
        if existing is not None:
            raise limits.Refused(f"{where} was already recorded ({existing.amount} on {existing.paid_on}): nothing "
                                 "changed; give another payment its own ref")
        session.add(Payment(invoice_id=file.invoice.id, ref=ref, amount=amount, paid_on=paid_on))
        file.paid += amount
    await notify_invoice_changed(client, org_slug, invoice_number)
    return file.amount_due


async def set_dunning_activation(client: Client, db: Database, org_slug: str, enabled: bool) -> int:
    """Switch dunning on or off; switching on wakes the held runs (each resumes where it was). Returns
    how many held runs were woken: only those, so that "N held run(s) resumed" is what happened."""
    async with db.session() as session:
        org = await repository.organisation(session, org_slug)
        org.dunning_enabled = enabled
        session.add(org)
    return await wake_held_runs(client, db, org_slug) if enabled else 0


async def change_dunning_settings(client: Client, db: Database, mailer: SesMailer, org_slug: str,
                                  change: DunningChange) -> tuple[DunningSettings, int]:
    """The fields given (a sender checked as verified now); then switching on or off as
    set_dunning_activation does. Returns the settings and how many held runs resumed."""
    saved = await change_settings(db, mailer, org_slug, change)
    if change.enabled is None:
        return saved, 0
    resumed = await set_dunning_activation(client, db, org_slug, change.enabled)
    return saved.model_copy(update={"enabled": change.enabled}), resumed


async def forecast(client: Client, db: Database, org_slug: str, now: datetime,
                   days: int, as_if_enabled: bool = False) -> list[forecasting.ForecastLine]:
    """What will be sent in the next `days` days (or would be, `as_if_enabled`, if dunning were switched on
    now): running runs answer with their own plan and progress."""
    async def progress_of(workflow_id: str):
        return await client.get_workflow_handle(workflow_id).query(InvoiceDunningWorkflow.progress)

    return await forecasting.forecast(db, progress_of, org_slug, now, days, as_if_enabled)


@dataclass
class SavedInvoice:
    created: bool
    run_started: bool


async def save_invoice(client: Client, db: Database, task_queue: str, org_slug: str, inv: InvoiceIn,
                       today: date, written: Callable[[], Awaitable[None]] | None = None) -> SavedInvoice:
    """Create or update one invoice as the importer would, then what the host application owes the run:
    a new invoice starts its run (when the organisation applies dunning to new invoices), a changed one
    wakes it, or starts it again when it ended on a reason that has passed (invoice_updated). `written` runs
    in between (its document kept before a first step could attach it)."""
    report = await write_invoice(db, org_slug, inv, today)
    if written is not None:
        await written()
    if report.new_invoices:
        return SavedInvoice(True, await invoice_created(client, db, task_queue, org_slug, inv.number) is not None)
    if report.changed_invoices:
        return SavedInvoice(False, await invoice_updated(client, db, task_queue, org_slug, inv.number))
    return SavedInvoice(False, False)


@dataclass
class RunReport:
    """A run as the database tells it (state, timeline), with the run's own live answer when it runs."""

    run: DunningRun
    events: list[RunEvent]
    timezone: str
    live: WalkStatus | None = None
    live_error: str | None = None
    scenario: str | None = None  # "<name> (<key> v<version>), chosen by <why>"


async def run_report(client_of: Callable[[], Awaitable[Client]], db: Database, org_slug: str,
                     invoice_number: str) -> RunReport:
    """`client_of()` gives the Temporal client, asked only when the run is still running (a finished
    run's story is all in the database, and stays readable when Temporal is not)."""
    async with db.session() as session:
        file = await repository.invoice_file(session, org_slug, invoice_number, with_contacts=False)
        run = (await session.exec(select(DunningRun).where(DunningRun.invoice_id == file.invoice.id))).first()
        if run is None:
            raise repository.NotFound(f"invoice {invoice_number!r} of organisation {org_slug!r} has no dunning run")
        events = list((await session.exec(select(RunEvent).where(RunEvent.workflow_id == run.workflow_id)
                                           .order_by(RunEvent.id))).all())
        timezone = (await session.get(Organisation, run.org_id)).timezone
        scenario = await session.get(Scenario, run.scenario_id)
    chosen = f"{scenario.name} ({scenario.key} v{scenario.version}), chosen by {run.scenario_choice or 'default'}"
    report = RunReport(run, events, timezone, scenario=chosen)
    if run.ended_at is None:
        try:
            client = await client_of()
            report.live = await client.get_workflow_handle(run.workflow_id).query(InvoiceDunningWorkflow.status)
        except Exception as exc:  # no worker or no Temporal: the database still tells the story
            report.live_error = str(exc) or type(exc).__name__
    return report


async def start_missing_runs(client: Client, task_queue: str, org_slug: str) -> SweepResult:
    """Start, through the organisation's sweep (a workflow: whoever asked may go away, nothing is lost),
    the run of every invoice that should have one and has none: after an import into an organisation
    that applies dunning to new invoices, all its open invoices, new in the file or not."""
    handle = await client.start_workflow(
        DunningSweepWorkflow.run, SweepRequest(org_slug), id=import_sweep_id(org_slug), task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING, static_summary=f"Runs of the invoices of {org_slug}")
    return await handle.result()
