"""The `relance` command (Click, with Rich at a terminal): main builds the root group; one module per
command group (runs, imports, sweeps, stack, authoring, renewal, marketing, pipeline, …); common runs a
command body and turns a failure into one sentence and an exit code; output prints plain lines, or Rich
tables and progress at a terminal."""
