"""What one email costs the worker's CPU before it reaches the network: its MIME (SesMailer._mime), for a
reminder and for one with an attachment and List-Unsubscribe, and SendRawEmail's form body (urllib's
encoding, as botocore does it twice per send, against relance.email.ses_form's, done once). CPU time of
this thread (what the machine's load barely changes), median of 5 batches. Run with
`python -m bench.email_cpu`; it prints the figures and the load average they were taken under."""

from __future__ import annotations

import base64
import os
import statistics
import time
from types import SimpleNamespace
from urllib.parse import urlencode

from relance.config import Settings
from relance.email import ses_form
from relance.email.mailer import Attachment, OutgoingEmail, SesMailer

BATCH = 300
TEXT = ("Bonjour Jean,\n\nSauf erreur de notre part, la facture F-2024-0042 d'un montant de 1 250,00 € est échue "
        "depuis le 3 décembre. Merci de procéder à son règlement.\n\nCordialement,\nClaire Martin\n") * 3
HTML = "<html><body>" + "".join(f"<p>{line}</p>" for line in TEXT.splitlines()) + "</body></html>"
REMINDER = OutgoingEmail("relance@acme.example", "Claire Martin", "jean@client.example",
                         "Relance : facture F-2024-0042 échue", TEXT, HTML, cc=["compta@client.example"])
WITH_ATTACHMENT = OutgoingEmail(
    "relance@acme.example", 'Société Générale, "Paris"', "jean@client.example", "Relance : facture F-2024-0042",
    TEXT, HTML, attachments=[Attachment("facture-été.pdf", "application/pdf", bytes(range(256)) * 40)],
    headers={"List-Unsubscribe": "<https://relance.example/u/abc>"})


def cpu_ms(action) -> float:
    """Median CPU per call, in ms."""
    batches = []
    for _ in range(5):
        began = time.thread_time()
        for _ in range(BATCH):
            action()
        batches.append((time.thread_time() - began) * 1000 / BATCH)
    return statistics.median(batches)


def main() -> None:
    mailer = SesMailer(Settings(ses_endpoint="http://127.0.0.1:1"))  # nothing is sent
    raw = mailer._mime(REMINDER, "tag")
    form = {"Action": "SendRawEmail", "Version": "2010-12-01", "RawMessage.Data": base64.b64encode(raw).decode(),
            "Source": "Claire Martin <relance@acme.example>"}
    print(f"load average {os.getloadavg()[0]:.2f}; CPU per call, median of 5 batches of {BATCH}")
    for label, action in ((f"MIME, reminder ({len(raw)} bytes)", lambda: mailer._mime(REMINDER, "tag")),
                          ("MIME, attachment + List-Unsubscribe", lambda: mailer._mime(WITH_ATTACHMENT, "tag")),
                          ("SES form, urllib (botocore: twice)", lambda: urlencode(form)),
                          ("SES form, ses_form (once)", lambda: ses_form.encode_once(SimpleNamespace(data={**form})))):
        print(f"  {label:40} {cpu_ms(action):.3f} ms")

if __name__ == "__main__":
    main()
