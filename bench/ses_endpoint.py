"""What the local SES endpoint (relance/local/ses_server.py) spends on one email as SES's events pile up
in its queue, as they do between two of relance's drains: batches of sends with the configuration set
(each queues a Send and a Delivery event), the endpoint process's CPU per send in each batch. The
endpoint shares the machine's cores with the worker in the bench and the tests. Run with
`python -m bench.ses_endpoint [--batches 4] [--sends 500]`; it prints the figures and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import psutil

from bench import data
from bench.measure import cpu_seconds
from bench.stack import free_port
from relance.config import Settings
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.local import ses as local_ses
from relance.local.ses import LocalSes


async def main(batches: int, sends: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        ses = LocalSes(port=free_port(), log_file=Path(home) / "ses.log")
        ses.start()
        try:
            settings = Settings(ses_endpoint=ses.endpoint)
            local_ses.provision_events(ses.endpoint, settings.ses_configuration_set)
            mailer = SesMailer(settings)
            await mailer.verify(data.SENDER)
            endpoint = psutil.Process(ses._process.pid)  # as bench.stack reads it
            print(f"load average {os.getloadavg()[0]:.2f}; the endpoint's CPU per send, {sends} sends a batch")
            for batch in range(batches):
                before = cpu_seconds(endpoint)
                for i in range(sends):
                    email = OutgoingEmail(data.SENDER, "Claire", f"c{i}@example.org", "Facture F-1", text="t",
                                          html="h")
                    await mailer.send(email, tag=f"k{batch}-{i}")
                spent = (cpu_seconds(endpoint) - before) * 1000 / sends
                print(f"  {batch * sends * 2:6} events queued before: {spent:5.2f} ms a send")
        finally:
            ses.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ses_endpoint", description=__doc__)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--sends", type=int, default=500, help="sends per batch")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.batches, arguments.sends))
