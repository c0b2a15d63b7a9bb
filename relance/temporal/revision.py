"""The workflow code revision a run is started with (workflows/versions.py says how it is used).

Starters and the activities that start runs put REVISION in the run's input.
"""

# patch id -> the first revision that has the change
CHANGES = {
    "email-task-queue": 1,  # SES activities on their own rate-limited queue
    "local-begin-finish": 1,  # begin_run and finish_run as local activities
    "identity-at-start": 1,  # no upsert of search attributes the run was started with
    "simulation-walk-state": 2,  # a simulation publishes its state (search attributes) like every walk
    "ended-truthfully": 3,  # an ended run shows its exit reason, and as its step the last one it did
    "authored-step-numbers": 4,  # steps numbered from 1 as authored (RelanceStep, summaries), not from 0
    "signal-refusals": 5,  # a malformed cancel signal is refused and recorded (a local activity), not dropped
    "settle-uncertain": 6,  # an uncertain send is settled after the window; step timeouts sized to a send
    "marketing-settle-uncertain": 7,  # marketing's uncertain sends settled the same way (steps and campaigns)
    "campaign-batches": 7,  # a campaign continues as new every CAMPAIGN_BATCH recipients (history size)
}
REVISION = max(CHANGES.values())
