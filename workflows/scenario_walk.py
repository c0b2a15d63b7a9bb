"""ScenarioWalk: walks a frozen plan of email / pause / action steps, for any domain.

A plain helper the domain's workflow holds (in the style of samples-python's UpdatableTimer), not a
base class: the workflow gives it the plan, the activity that does one step, and how to re-check its
subject; it keeps the walk's state, publishes it (search attributes, current details) and ends with a
reason. The signals and queries stay on the workflow, which forwards them here.

Two ways to wait for a step: a DurableClock (the step's time from relance.scenario.timing, a durable
timer that a cancel ends and a re-check interrupts) for real runs, an OnDemandClock (the next step
goes when someone asks, pauses included) for the simulation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from relance import calendar
    from relance.scenario import timing
    from relance.scenario.plan import (
        CancelRequest,
        PlannedStep,
        RunState,
        ScenarioPlan,
        StepOutcome,
        StepStatus,
        WalkExit,
        WalkStatus,
        step_name,
    )
    from relance.temporal import search_attributes as sa

# A held or blocked step is tried again daily, and at once when the run is told to re-check.
RETRY_HELD_AFTER = timedelta(days=1)
# A sender still unverified after this long ends the run, recorded as such.
MAX_BLOCKED = timedelta(days=30)

DoStep = Callable[[int, PlannedStep], Awaitable[StepOutcome]]
Recheck = Callable[[], Awaitable[str | None]]


@dataclass
class WalkEnd:
    """How a walk ended: a WalkExit value or the domain's own exit reason (from a step or a re-check)."""

    reason: str
    detail: str | None
    steps_done: int
    emails_sent: int


class DurableClock:
    """Waits for a step's time with a durable timer; a cancel ends the wait, a re-check interrupts it, and
    `go_now` (someone asked for the step now) cuts it short. A pause (`paused_until`) interrupts it too:
    the walk then sits the pause out (sit_out_pause)."""

    on_demand = False  # a pause is folded into the time of the step after it

    def __init__(self, recheck: Recheck | None = None, pause_ended: Callable[[], Awaitable[None]] | None = None):
        self._recheck = recheck
        self._pause_ended = pause_ended  # the domain records a pause that ran to its date
        self.cancel_request: CancelRequest | None = None
        self.recheck_requested = False
        self.go_now = False
        self.waiting = False  # for a step's time (not doing one): only then can a step be asked to go now
        self.paused_until: datetime | None = None  # set by a pause, cleared when it ends or is lifted
        self.pause_note = ""

    async def wait(self, walk: ScenarioWalk, moment: datetime, label: str) -> StepOutcome | None:
        """None when the moment came (or a held step should try again now), else the exit to take."""
        while True:
            if self.cancel_request is not None:
                return self._cancelled()
            if self.paused_until is not None:
                return None  # the walk sits the pause out before the step
            if self.recheck_requested:
                self.recheck_requested = False
                reason = await self._recheck() if self._recheck else None
                if reason is not None:
                    return StepOutcome(StepStatus.EXIT, reason)
                if walk.state in (RunState.HELD, RunState.BLOCKED):
                    return None  # settings may have changed: try the step again now
            if self.go_now:
                self.go_now = False
                return None
            remaining = moment - workflow.now()
            if remaining <= timedelta(0):
                return None
            self.waiting = True
            try:
                await workflow.wait_condition(
                    lambda: self.cancel_request is not None or self.recheck_requested or self.go_now
                    or self.paused_until is not None,
                    timeout=remaining, timeout_summary=label,
                )
            except TimeoutError:
                return None
            finally:
                self.waiting = False

    async def sit_out_pause(self, label: str) -> StepOutcome | None:
        """Wait while the pause lasts: a cancel ends the run, a re-check that finds the invoice paid ends
        it too, any other leaves the pause as it is. None when the pause is over or was changed (the walk
        then shows the new one)."""
        until = self.paused_until
        while until is not None and self.paused_until == until:
            if self.cancel_request is not None:
                return self._cancelled()
            if self.recheck_requested:
                self.recheck_requested = False
                reason = await self._recheck() if self._recheck else None
                if reason is not None:
                    return StepOutcome(StepStatus.EXIT, reason)
                continue
            try:
                await workflow.wait_condition(
                    lambda: self.cancel_request is not None or self.recheck_requested or self.paused_until != until,
                    timeout=max(until - workflow.now(), timedelta(seconds=1)), timeout_summary=label)
            except TimeoutError:
                self.paused_until = None
                if self._pause_ended:
                    await self._pause_ended()
        return None

    def _cancelled(self) -> StepOutcome:
        request = self.cancel_request
        return StepOutcome(StepStatus.EXIT, WalkExit.CANCELLED, detail=f"by {request.by}: {request.reason}")


class OnDemandClock:
    """A step goes when it is asked for (the simulation's "Exécuter"); pauses are steps too. A walk
    nobody asks anything of for `idle_limit` stops by itself."""

    on_demand = True  # pauses are steps too, and nothing waits for a time
    paused_until = None  # a simulation is never paused

    def __init__(self, idle_limit: timedelta, idle_summary: str):
        self.idle_limit = idle_limit
        self.idle_summary = idle_summary
        self.requested = 0  # steps asked for
        self.granted = 0
        self.stopped = False

    async def wait(self, walk: ScenarioWalk, moment: datetime, label: str) -> StepOutcome | None:
        try:
            await workflow.wait_condition(lambda: self.requested > self.granted or self.stopped,
                                          timeout=self.idle_limit, timeout_summary=self.idle_summary)
        except TimeoutError:
            self.stopped = True
        if self.stopped:
            return StepOutcome(StepStatus.EXIT, WalkExit.STOPPED)
        self.granted += 1
        return None


class ScenarioWalk:
    """Walks `plan` step by step: waits for each step with `clock`, lets `do_step` (the domain's
    activity) do it, retries held and blocked steps, and keeps the run's published state in step."""

    def __init__(self, plan: ScenarioPlan, do_step: DoStep, clock: DurableClock | OnDemandClock, *,
                 headline: str, publish_search_attributes: bool = True, first_number: int = 1,
                 resume_after: int = -1, previous: timing.Progress | None = None):
        self.plan = plan
        self.clock = clock
        self._do_step = do_step
        self._headline = headline
        self._publishes = publish_search_attributes
        self._first_number = first_number  # workflows/versions.py step_numbering
        self._last: str | None = None  # what the last step did, for the current details
        self.state = RunState.STARTING
        self.position: int | None = None  # index in plan.steps of the step waited for or done last
        self.next_at: datetime | None = None
        self.previous = previous  # the last email/action step done (a later life: in an earlier one)
        self.emails_sent = 0
        self._details = ""
        self.refusals: list[str] = []
        self.attempts = 0  # steps tried (done, skipped, held...): what a "go now" waits for
        self._resume_after = resume_after  # a run's later life starts after the steps an earlier one settled

    def step_name(self, index: int) -> str:
        """The step as every surface names it ("4. Deuxième relance", relance.scenario.plan)."""
        step = self.plan.steps[index]
        return step_name(step.position, step.label, self._first_number)

    async def walk(self) -> WalkEnd:
        steps_done = 0
        for index in self._positions():
            outcome = await self._run_step(index)
            if outcome.status == StepStatus.EXIT:
                return WalkEnd(str(outcome.reason), outcome.detail, steps_done, self.emails_sent)
            if outcome.status == StepStatus.SKIPPED:
                continue  # a skipped step sets no pace for the next ones
            steps_done += 1
            if not self.clock.on_demand:
                self.previous = timing.Progress(index, workflow.now(), self._ideal_at(index))
        return WalkEnd(WalkExit.COMPLETED, None, steps_done, self.emails_sent)

    def ended(self, note: str, reason: str | None = None) -> None:
        """Publish the end; the domain records it (its finish activity) after. With `reason` (runs of
        revision 3 on), the run shows it (RelanceExitReason) and, as its step, the last one it did, not
        one it was waiting for."""
        if reason is None:
            self._publish(RunState.ENDED, self.position, None, note)
            return
        last_done = self.previous.position if self.previous is not None else None
        self._publish(RunState.ENDED, last_done, None, note, exit_reason=reason)

    def _positions(self) -> list[int]:
        if self.clock.on_demand:
            return list(range(len(self.plan.steps)))
        return [i for i in timing.actionable_positions(self.plan) if i > self._resume_after]

    def _ideal_at(self, index: int) -> datetime:
        return timing.ideal_at(self.plan, index, self.previous)

    def _when(self, index: int) -> datetime:
        if self.clock.on_demand:
            return workflow.now()
        return timing.send_time(self.plan, index, timing.scheduled_at(self.plan, index, self.previous), workflow.now())

    async def _run_step(self, index: int) -> StepOutcome:
        """Wait for the step's time, then do it; a held or blocked step is retried until it can go."""
        step = self.plan.steps[index]
        blocked_since: datetime | None = None
        at = self._when(index)
        while True:
            self._publish(RunState.WAITING, index, at)
            exit_now = await self.clock.wait(self, at, f"step {self.step_name(index)}")
            if exit_now is not None:
                return exit_now
            if self.clock.paused_until is not None:
                exit_now = await self._sit_out_pause(index, at)
                if exit_now is not None:
                    return exit_now
                at = timing.send_time(self.plan, index, at, workflow.now())  # no burst: the one step, then spaced
                continue
            outcome = await self._do_step(index, step)
            self.attempts += 1
            self._last = f"step **{self.step_name(index)}** {self._what_it_did(step.kind, outcome)}"
            if outcome.status not in (StepStatus.HELD, StepStatus.BLOCKED):
                if outcome.status == StepStatus.DONE and step.kind == "email" and outcome.message_id:
                    self.emails_sent += 1
                return outcome
            if outcome.status == StepStatus.BLOCKED:
                blocked_since = blocked_since or workflow.now()
                if workflow.now() - blocked_since >= MAX_BLOCKED:
                    return StepOutcome(StepStatus.EXIT, WalkExit.SENDER_NOT_VERIFIED, detail=outcome.reason)
            else:
                blocked_since = None
            retry_at = workflow.now() + RETRY_HELD_AFTER
            self._publish(RunState(outcome.status), index, retry_at, outcome.reason)
            exit_now = await self.clock.wait(self, retry_at, f"{outcome.status}: {outcome.reason}")
            if exit_now is not None:
                return exit_now
            at = timing.send_time(self.plan, index, workflow.now(), workflow.now())

    def resumes_at(self, index: int, until: datetime) -> datetime:
        """When the step waited for goes after a pause until `until`: its own time if later, else at the
        pause's end (at its window's next opening)."""
        step_at = self.next_at if self.state == RunState.WAITING and self.next_at else until
        return timing.send_time(self.plan, index, max(step_at, until), until)

    async def _sit_out_pause(self, index: int, at: datetime) -> StepOutcome | None:
        clock = self.clock
        while clock.paused_until is not None:
            until = clock.paused_until
            self._publish(RunState.PAUSED, index, timing.send_time(self.plan, index, max(at, until), until),
                          clock.pause_note)
            exit_now = await clock.sit_out_pause(f"paused: {clock.pause_note}")
            if exit_now is not None:
                return exit_now
        return None

    @staticmethod
    def _what_it_did(kind: str, outcome: StepOutcome) -> str:
        """The outcome in words: an activity's summary is fixed when it is scheduled, so the details
        say what the step turned out to do (sent, not sent and why, skipped, held...)."""
        if outcome.status == StepStatus.DONE:
            done = "sent" if kind == "email" and outcome.message_id else ("done" if kind != "email" else "not sent")
            return done + (f" ({outcome.reason})" if outcome.reason else "")
        if outcome.status == StepStatus.EXIT:
            return f"not done: the run ends ({outcome.reason})"
        return f"{outcome.status}" + (f" ({outcome.reason})" if outcome.reason else "")

    def _publish(self, state: RunState, index: int | None, next_at: datetime | None, note: str | None = None,
                 exit_reason: str | None = None) -> None:
        """Keep the query, the search attributes and the UI's current details in step."""
        changed = (state, index, next_at) != (self.state, self.position, self.next_at) or exit_reason is not None
        self.state, self.position, self.next_at = state, index, next_at
        if not changed:
            return
        step = self.plan.steps[index] if index is not None else None
        step_name = self.step_name(index) if step else ""
        if self._publishes:
            workflow.upsert_search_attributes([
                sa.STATE.value_set(state),
                sa.CURRENT_STEP.value_unset() if exit_reason is not None and not step_name
                else sa.CURRENT_STEP.value_set(step_name),
                sa.NEXT_STEP_AT.value_set(next_at) if next_at else sa.NEXT_STEP_AT.value_unset(),
                *([sa.EXIT_REASON.value_set(exit_reason)] if exit_reason is not None else []),
            ])
        when = ""
        if next_at is not None and isinstance(self.clock, DurableClock):
            local = calendar.in_zone(next_at, self.plan.timezone)
            when = f" until **{local:%Y-%m-%d %H:%M}** ({self.plan.timezone})"
        what = {
            RunState.WAITING: f"Waiting for step **{step_name}** ({step.kind if step else ''}){when}",
            RunState.HELD: f"Held at step **{step_name}**: {note}; next check{when}",
            RunState.BLOCKED: f"Blocked at step **{step_name}**: {note}; next try{when}",
            RunState.PAUSED: f"Paused before step **{step_name}**: {note}; it goes{when}",
            RunState.ENDED: f"Ended: {note}",
        }.get(state, state.value)
        last = f"\n\nLast: {self._last}" if self._last else ""
        self._details = f"{self._headline}\n\n{what}{last}"
        self._show()

    def refused(self, note: str) -> None:
        """A message the run refused (a malformed cancel): shown with its state until the run ends."""
        self.refusals.append(note)
        self._show()

    def _show(self) -> None:
        refused = "".join(f"\n\nRefused: {note}" for note in self.refusals[-3:])
        workflow.set_current_details(self._details + refused)


def walk_status(walk: ScenarioWalk | None, exit: tuple[str, str | None] | None,
                refused: list[str] | None = None) -> WalkStatus:
    """The status query's answer for a domain's run: its walk (None before the plan is loaded) and how it
    ended, if it did."""
    if walk is None:
        return WalkStatus(state=RunState.STARTING, step_position=None, step_label=None, next_at=None,
                          refused=list(refused or []))
    step = walk.plan.steps[walk.position] if walk.position is not None else None
    reason, detail = exit or (None, None)
    return WalkStatus(state=walk.state, step_position=step.position if step else None,
                      step_label=step.label if step else None, next_at=walk.next_at, exit_reason=reason,
                      exit_detail=detail, emails_sent=walk.emails_sent, refused=list(refused or []))
