"""Inputs and reports of a scenario simulation (seed 001, "Simuler")."""

from dataclasses import dataclass, field
from datetime import datetime

from relance.scenario.plan import PlannedStep


@dataclass
class SimulationInput:
    org_slug: str
    scenario_id: int
    user_email: str  # the internal contact who receives every email
    revision: int = 0  # the workflow code revision that started it (workflows/versions.py)


@dataclass
class SimulationPlan:
    scenario_name: str
    steps: list[PlannedStep]


@dataclass
class SimulateStepInput:
    org_slug: str
    scenario_id: int
    position: int
    user_email: str
    now: datetime


@dataclass
class StepReport:
    position: int
    kind: str
    label: str
    outcome: str  # sent | not_sent | skipped_pause | task_not_created
    detail: str | None = None
    message_id: str | None = None


@dataclass
class SimulationStatus:
    scenario_name: str
    next_position: int | None
    next_label: str | None
    reports: list[StepReport] = field(default_factory=list)
    stopped: bool = False
