"""/v1/documents: upload (raw body or multipart), by URL, list, delete; for the key's organisation only."""

from __future__ import annotations

from tests.api.conftest import api  # noqa: F401 (the fixture)
from tests.documents.conftest import PDF


async def test_upload_list_and_delete_with_tenancy(api):  # noqa: F811
    await api.put("/v1/invoices/F-9", json={"account": "C1", "invoice_date": "today-30", "due_date": "today-14",
                                            "amount_excl_tax": "100.00", "amount_incl_tax": "120.00",
                                            "payment_url": "https://pay.example.com/F-9"})
    raw = await api.post("/v1/documents?invoice=F-9&filename=Facture%20F-9.pdf", content=PDF,
                         headers={"Content-Type": "application/octet-stream"})
    assert raw.status_code == 201, raw.text
    assert {k: raw.json()[k] for k in ("invoice", "filename", "content_type", "size")} == {
        "invoice": "F-9", "filename": "Facture F-9.pdf", "content_type": "application/pdf", "size": len(PDF)}
    form = await api.post("/v1/documents?key=form-004", files={"file": ("formulaire.pdf", PDF, "text/plain")})
    assert form.status_code == 201, form.text
    assert (form.json()["key"], form.json()["content_type"], form.json()["invoice"]) == (
        "form-004", "application/pdf", None)

    listed = await api.get("/v1/documents")
    assert [d["filename"] for d in listed.json()] == ["Facture F-9.pdf", "formulaire.pdf"]
    assert [d["key"] for d in (await api.get("/v1/documents?invoice=F-9")).json()] == [raw.json()["key"]]

    await api.stack.load({**api.stack.org(), "slug": "other-org", "name": "Other"})
    other = await api.key_for("other-org")
    assert (await api.get("/v1/documents", key=other)).json() == []
    assert (await api.http.delete("/v1/documents/form-004", headers=api.auth(other))).status_code == 404

    assert (await api.http.delete("/v1/documents/form-004", headers=api.auth())).status_code == 204
    assert [d["key"] for d in (await api.get("/v1/documents")).json()] == [raw.json()["key"]]


async def test_bad_documents_and_urls_are_refused_naming_the_field(api):  # noqa: F811
    wrong = await api.post("/v1/documents?filename=invoice.pdf", content=b"MZ\x90\x00 not a pdf",
                           headers={"Content-Type": "application/pdf"})
    assert wrong.status_code == 422
    assert "field file is not a document relance attaches" in wrong.json()["detail"]
    internal = await api.post("/v1/documents/from-url", json={"url": "http://169.254.169.254/latest/meta-data/"})
    assert internal.status_code == 422
    assert "field url" in internal.json()["detail"] and "not a public address" in internal.json()["detail"]
    bad_link = await api.put("/v1/invoices/F-8", json={"account": "C1", "invoice_date": "today-30",
                                                       "due_date": "today-14", "amount_excl_tax": "1.00",
                                                       "amount_incl_tax": "1.20", "payment_url": "javascript:alert(1)"})
    assert bad_link.status_code == 422
    assert any("payment_url" in e and "not an http(s) URL" in e for e in bad_link.json()["errors"]), bad_link.json()
    assert (await api.get("/v1/documents")).json() == []


async def test_the_late_interest_rate_is_a_dunning_setting(api):  # noqa: F811
    changed = await api.put("/v1/settings/dunning", {"late_interest_rate": "12.15"})
    assert changed.status_code == 200 and changed.json()["late_interest_rate"] == "12.15"
    too_high = await api.put("/v1/settings/dunning", {"late_interest_rate": "150"})
    assert too_high.status_code == 422 and any("late_interest_rate" in e for e in too_high.json()["errors"])
    cleared = await api.put("/v1/settings/dunning", {"late_interest_rate": None})
    assert cleared.json()["late_interest_rate"] is None


async def test_a_multipart_body_that_cannot_be_read_is_a_422_naming_the_file_field(api):  # noqa: F811
    """A part header with a bare carriage return: the multipart parser gives up; the answer says so, as
    every other refused upload does, and nothing is kept."""
    body = b"--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nX-Bad: a\rb\r\n\r\n"
    body += b"%PDF-1.4\r\n--xyz--\r\n"
    answer = await api.post("/v1/documents", content=body,
                            headers={"Content-Type": "multipart/form-data; boundary=xyz"})
    assert answer.status_code == 422, answer.text
    assert "field file" in answer.json()["detail"] and "multipart" in answer.json()["detail"]
    assert (await api.get("/v1/documents")).json() == []
