"""`relance`: the command line (Click). This module only builds the root group and registers each
module's commands; every command calls the same code as the host application's API, imported when
the command runs, so `relance --help` costs no Temporal, SQLAlchemy or boto3 import. Even Click is
imported inside `run`, so that a Ctrl-C in the first instant ends with exit 130, not a traceback."""

from __future__ import annotations

import os
import sys
from functools import cache

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C


@cache
def root():
    """The `relance` group with every command of every module."""
    import click

    from relance.cli import (
        agency,
        api,
        authoring,
        customers,
        documents,
        imports,
        life,
        mail,
        marketing,
        operations,
        outbox,
        pipeline,
        renewal,
        reports,
        runs,
        setup,
        stack,
        sweeps,
        uncertain,
        webhooks,
    )

    @click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
                 help="Durable invoice dunning, contract renewal notices, marketing, pipeline and agency outbox "
                      "on Temporal.")
    @click.option("--debug", is_flag=True, help="show Python tracebacks instead of one sentence")
    def relance(debug: bool) -> None:
        pass

    for module in (stack, operations, imports, sweeps, runs, authoring, mail, renewal, customers, marketing, pipeline,
                   reports, api, webhooks, uncertain, agency, documents, outbox, setup, life):
        for command in module.COMMANDS:
            relance.add_command(command)
    return relance


def main(argv: list[str] | None = None) -> int:
    """Run one command and exit with its code."""
    code = run(argv)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    os._exit(code)  # sdk-python#300: a short-lived client can abort at interpreter exit


def run(argv: list[str] | None = None) -> int:
    """One command's exit code: a usage error is Click's message and 2; a failure inside a command is
    one sentence on stderr (relance.cli.common.execute); Ctrl-C is 130, never a traceback."""
    try:
        import click

        try:
            return root().main(args=argv, prog_name="relance", standalone_mode=False) or 0
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.Abort:  # Ctrl-C while Click read the arguments
            print("relance: interrupted", file=sys.stderr)
            return INTERRUPTED
    except KeyboardInterrupt:
        print("relance: interrupted", file=sys.stderr)
        return INTERRUPTED
    except SystemExit as exc:  # shell completion answers and exits
        return exc.code if isinstance(exc.code, int) else 0


if __name__ == "__main__":
    main()
