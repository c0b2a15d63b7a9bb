"""Sales-pipeline automations (SPEC C, seed 004, issue 13): rules on a process's opportunities run their
automations in order, exactly once, one opportunity's events strictly one after another."""
