"""ScenarioSimulationWorkflow: a scenario walked step by step for one internal contact.

The shared ScenarioWalk with an on-demand clock: each step waits for the `execute_next` update;
pauses are skipped, emails really go to the contact, tasks are only described. It writes nothing
to the runs' tables: no trace among real runs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.simulation import SimulationActivities
    from relance.scenario.plan import PlannedStep, StepOutcome, StepStatus
    from relance.simulation.types import (
        SimulateStepInput,
        SimulationInput,
        SimulationPlan,
        SimulationStatus,
        StepReport,
    )
    from relance.temporal.registration import Registration, WorkerDeps
    from workflows.scenario_walk import OnDemandClock, ScenarioWalk
    from workflows.versions import email_queue_of_this_run, follows, step_numbering

ACTIVITY_TIMEOUT = timedelta(seconds=60)
# A forgotten simulation ends by itself.
IDLE_LIMIT = timedelta(days=7)


@workflow.defn
class ScenarioSimulationWorkflow:
    def __init__(self) -> None:
        self._plan: SimulationPlan | None = None
        self._reports: list[StepReport] = []
        self._clock = OnDemandClock(IDLE_LIMIT, "idle simulation ends")

    @workflow.run
    async def run(self, inp: SimulationInput) -> SimulationStatus:
        self._plan = plan = await workflow.execute_activity_method(
            SimulationActivities.load_simulation, inp, start_to_close_timeout=ACTIVITY_TIMEOUT,
            summary="Load scenario")

        async def do_step(index: int, step: PlannedStep) -> StepOutcome:
            if step.kind == "pause":
                report = StepReport(step.position, step.kind, step.label, "skipped_pause",
                                    f"pause of {step.pause_days} day(s) skipped")
            else:
                report = await workflow.execute_activity_method(
                    SimulationActivities.simulate_step,
                    SimulateStepInput(inp.org_slug, inp.scenario_id, step.position, inp.user_email, workflow.now()),
                    task_queue=email_queue_of_this_run(inp.revision), start_to_close_timeout=ACTIVITY_TIMEOUT,
                    summary=f"Simulate step {walk.step_name(index)}")
            self._reports.append(report)
            return StepOutcome(StepStatus.DONE, message_id=report.message_id)

        walk = ScenarioWalk(plan, do_step, self._clock,
                            headline=f"Simulation of **{plan.scenario_name}** (each step on `execute_next`)",
                            publish_search_attributes=follows("simulation-walk-state", inp.revision),
                            first_number=step_numbering(inp.revision))
        end = await walk.walk()
        walk.ended(f"{end.reason} after {len(self._reports)} step(s)",
                   end.reason if follows("ended-truthfully", inp.revision) else None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status()

    @workflow.update
    async def execute_next(self) -> StepReport:
        """Run the next step and return what it did ("Exécuter")."""
        self._clock.requested += 1
        wanted = self._clock.requested
        await workflow.wait_condition(lambda: len(self._reports) >= wanted or self._clock.stopped)
        if len(self._reports) < wanted:
            raise ApplicationError("the simulation was stopped", type="SimulationStopped")
        return self._reports[wanted - 1]

    @execute_next.validator
    def _can_execute_next(self) -> None:
        if self._clock.stopped or (self._plan is not None and self._clock.requested >= len(self._plan.steps)):
            raise ValueError("the simulation has no step left")

    @workflow.signal
    def stop(self) -> None:
        self._clock.stopped = True

    @workflow.query
    def status(self) -> SimulationStatus:
        steps = self._plan.steps if self._plan else []
        stopped = self._clock.stopped
        upcoming = steps[len(self._reports)] if len(self._reports) < len(steps) and not stopped else None
        return SimulationStatus(
            scenario_name=self._plan.scenario_name if self._plan else "",
            next_position=upcoming.position if upcoming else None, next_label=upcoming.label if upcoming else None,
            reports=list(self._reports), stopped=stopped)


WORKFLOWS = [ScenarioSimulationWorkflow]


def registration(deps: WorkerDeps) -> Registration:
    """The simulation domain's part of the worker."""
    acts = SimulationActivities(deps.db, deps.mailer)
    return Registration(workflows=WORKFLOWS, email_activities=[acts.simulate_step],
                        activities=[acts.load_simulation])
