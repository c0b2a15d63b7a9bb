"""SES's form body, encoded once (relance.email.ses_form): byte for byte what botocore would have sent,
so what SES receives and what the signature covers are unchanged. Against the local SES endpoint."""

from base64 import b64encode
from urllib.parse import urlencode

import pytest

from relance.email import ses_form
from relance.email.mailer import OutgoingEmail, SesMailer
from relance.local import ses as local_ses

VALUES = ["", "SendRawEmail", "2010-12-01", "a+b/c=", b64encode(bytes(range(256)) * 9).decode(),
          'Société "Nord", <ceo@bank.example>', "a b\tc\r\nd", "~._-!*'()", "😀%&=?#", "ABC=="]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_a_value_is_quoted_as_urlencode_quotes_it(value):
    assert f"RawMessage.Data={ses_form.quote(value)}" == urlencode({"RawMessage.Data": value})


async def test_a_send_goes_out_with_the_form_botocore_would_have_encoded(settings, ses_endpoint, clean):
    mailer, seen = SesMailer(settings), {}

    def form(request, **_):  # before the encoding (handlers of the operation itself come first)
        seen["form"] = dict(request.data)

    def body(request, **_):  # what goes on the wire (a handler returning something would be the answer)
        seen["body"] = request.body

    events = mailer._client.meta.events
    events.register("request-created.ses.SendRawEmail", form)
    events.register("before-send.ses.SendRawEmail", body)
    await mailer.verify("agent@agency.example")
    await mailer.send(OutgoingEmail("agent@agency.example", "Agence Nord", "ann@x.example.org", "Facture F-1 échue",
                                    "Bonjour é", "<p>Bonjour é</p>"))
    assert seen["body"] == urlencode(seen["form"])
    assert "Facture F-1" in local_ses.sent_messages(ses_endpoint)[0]["raw"]
