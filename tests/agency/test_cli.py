"""`relance agency …` as a person types it, on the dev server: import an agency (its nightly drafting
Schedule is made), draft now, the summary, a tab, send the tab, the emails in `relance mail`, history;
then a tab sent while the send window is closed, told when it goes."""

import re
from datetime import UTC, datetime

import pytest
import yaml

from tests.agency import data
from tests.test_cli import relance


@pytest.mark.slow
async def test_import_draft_summary_send_a_tab_and_see_the_mail(dev_stack, mailer, tmp_path):
    _, task_queue, env = dev_stack
    slug = f"agc-{task_queue[-8:]}"
    await mailer.verify(data.SENDER)
    bookings = [data.booking("R1", "today+5", "today+12"), data.booking("R2", "today+6", "today+9"),
                data.booking("R3", "today-10", "today-4"), data.booking("R4", "today+5", "today+12")]
    organisation = data.organisation(slug, bookings, {"arrival": 7, "after_departure": 3})
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [organisation]}, allow_unicode=True))
    imported = await relance(env, "import", str(tmp_path / "data.yaml"))
    assert imported.returncode == 0 and "4 bookings" in imported.stdout, imported.stdout + imported.stderr
    assert f"agency-drafting:{slug}:mer" in imported.stdout

    closed = await relance(env, "agency", "closed", slug, "mer")
    assert closed.returncode == 0 and closed.stdout == "no withdrawn or expired draft in the outbox of mer\n"
    drafted = await relance(env, "agency", "draft", slug, "mer")
    assert drafted.returncode == 0 and "4 drafted (3 arrival, 1 after_departure)" in drafted.stdout, drafted.stderr
    again = await relance(env, "agency", "draft", slug, "mer")
    assert ": 0 drafted, 0 expired" in again.stdout and "()" not in again.stdout, again.stdout
    summary = await relance(env, "agency", "summary", slug, "mer")
    assert "4 waiting" in summary.stdout and "arrival: 3" in summary.stdout, summary.stdout

    # The host reports R4 cancelled: the answer is the booking and its withdrawn draft, the log line is on stderr.
    (tmp_path / "r4.yaml").write_text(yaml.safe_dump(data.booking("R4", "today+5", "today+12", status="cancelled")))
    cancelled = await relance(env, "agency", "booking", slug, "mer", str(tmp_path / "r4.yaml"))
    assert cancelled.returncode == 0, cancelled.stderr
    assert re.fullmatch(r"booking R4: changed\n  draft #\d+ withdrawn: booking_cancelled\n", cancelled.stdout), \
        cancelled.stdout
    assert "booking change judged" in cancelled.stderr
    tab = await relance(env, "agency", "tab", slug, "mer", "arrival")
    assert "R1 Guest R1 <r1@guest.example>" in tab.stdout and "2 draft(s)" in tab.stdout

    sent = await relance(env, "agency", "send", slug, "mer", "arrival", "--yes", "--by", "anne")
    assert sent.returncode == 0 and "2 sent, 0 withdrawn, 0 failed, 0 skipped of 2" in sent.stdout, sent.stderr
    mail = await relance(env, "mail")
    assert "r1@guest.example" in mail.stdout and "Votre séjour R2 à Villa Les Pins" in mail.stdout
    history = await relance(env, "agency", "history", slug, "mer", "R1")
    assert "arrival due" in history.stdout and ": sent by anne" in history.stdout, history.stdout

    opens_at, closes_at = data.window_closed_at(datetime.now(UTC))  # evening at the agency: the window closes
    organisation["agencies"][0]["send_window"] = [opens_at.isoformat("minutes"), closes_at.isoformat("minutes")]
    (tmp_path / "data.yaml").write_text(yaml.safe_dump({"organisations": [organisation]}, allow_unicode=True))
    assert (await relance(env, "import", str(tmp_path / "data.yaml"))).returncode == 0
    later = await relance(env, "agency", "send", slug, "mer", "after_departure", "--yes")
    assert later.returncode == 0, later.stderr
    assert "the agency's send window is closed: they go from " in later.stdout
    assert re.search(rf"they go from \d{{4}}-\d\d-\d\d {opens_at:%H:%M} \+0[12]:00 ", later.stdout), later.stdout
    assert "r3@guest.example" not in (await relance(env, "mail")).stdout
