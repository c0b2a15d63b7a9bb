"""The Python API the host application calls, one module per domain: starter.dunning (start a run,
tell it its invoice changed, cancel it, switch dunning on or off), starter.renewal (start or cancel a
notice), starter.simulation, and starter.schedule for the nightly jobs."""
