"""The `relance` command: one module per concern (main: stack, import, runs; authoring: scenarios,
templates, preview, simulation, forecast; renewal: contracts and notices)."""
