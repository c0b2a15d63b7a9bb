"""ScenarioSimulationWorkflow: a scenario walked step by step for one internal contact.

Each step waits for the `execute_next` update; pauses are skipped, emails really go to the contact,
tasks are only described. It writes nothing to the runs' tables: no trace among real runs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.simulation import SimulationActivities
    from relance.scenario.plan import PlannedStep  # noqa: F401  (pydantic resolves SimulationPlan's steps through it)
    from relance.simulation.types import (
        SimulateStepInput,
        SimulationInput,
        SimulationPlan,
        SimulationStatus,
        StepReport,
    )
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.versions import email_queue_of_this_run

ACTIVITY_TIMEOUT = timedelta(seconds=60)
# A forgotten simulation ends by itself.
IDLE_LIMIT = timedelta(days=7)


@workflow.defn
class ScenarioSimulationWorkflow:
    def __init__(self) -> None:
        self._plan: SimulationPlan | None = None
        self._reports: list[StepReport] = []
        self._requested = 0  # steps asked for by execute_next
        self._stopped = False

    @workflow.run
    async def run(self, inp: SimulationInput) -> SimulationStatus:
        self._plan = await workflow.execute_activity_method(
            SimulationActivities.load_simulation, inp, start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary="Load scenario")
        for step in self._plan.steps:
            workflow.set_current_details(f"Simulation of **{self._plan.scenario_name}**: next is step "
                                         f"**{step.position}. {step.label}** ({step.kind}), waiting for `execute_next`")
            try:
                await workflow.wait_condition(lambda: self._requested > len(self._reports) or self._stopped,
                                              timeout=IDLE_LIMIT, timeout_summary="idle simulation ends")
            except TimeoutError:
                self._stopped = True
            if self._stopped:
                break
            if step.kind == "pause":
                report = StepReport(step.position, step.kind, step.label, "skipped_pause",
                                    f"pause of {step.pause_days} day(s) skipped")
            else:
                report = await workflow.execute_activity_method(
                    SimulationActivities.simulate_step,
                    SimulateStepInput(inp.org_slug, inp.scenario_id, step.position, inp.user_email, workflow.now()),
                    task_queue=email_queue_of_this_run(inp.revision), start_to_close_timeout=ACTIVITY_TIMEOUT,
                    summary=f"Simulate {step.position}. {step.label}")
            self._reports.append(report)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    @workflow.update
    async def execute_next(self) -> StepReport:
        """Run the next step and return what it did ("Exécuter")."""
        self._requested += 1
        wanted = self._requested
        await workflow.wait_condition(lambda: len(self._reports) >= wanted or self._stopped)
        if len(self._reports) < wanted:
            raise ApplicationError("the simulation was stopped", type="SimulationStopped")
        return self._reports[wanted - 1]

    @execute_next.validator
    def _can_execute_next(self) -> None:
        if self._stopped or (self._plan is not None and self._requested >= len(self._plan.steps)):
            raise ValueError("the simulation has no step left")

    @workflow.signal
    def stop(self) -> None:
        self._stopped = True

    @workflow.query
    def status(self) -> SimulationStatus:
        steps = self._plan.steps if self._plan else []
        upcoming = steps[len(self._reports)] if len(self._reports) < len(steps) and not self._stopped else None
        return SimulationStatus(
            scenario_name=self._plan.scenario_name if self._plan else "",
            next_position=upcoming.position if upcoming else None, next_label=upcoming.label if upcoming else None,
            reports=list(self._reports), stopped=self._stopped)


WORKFLOWS = [ScenarioSimulationWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The simulation domain's part of the worker."""
    acts = SimulationActivities(deps.db, deps.mailer)
    return Registration(workflows=WORKFLOWS, email_activities=[acts.simulate_step],
                        activities=[acts.load_simulation])
