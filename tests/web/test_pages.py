"""The pages say exactly what the services say (SPEC sections 6, 7, 13)."""

from __future__ import annotations

import html
import json
import re

import pytest
from tests.conftest import run_cli
from tests.web.conftest import EXAMPLE, csrf_of, example_message

from mailwarden.diagnose.wording import headline
from mailwarden.errors import InputError
from mailwarden.web.answers import split_identities

AUTHSERV = "mx1.inbound.fabrikam.example"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_live_diagnosis_page_shows_exactly_what_the_cli_says(client):
    done = run_cli("diagnose", str(EXAMPLE / "message.eml"), "--me", "dana@fabrikam.example",
                   "--trusted-authserv-id", AUTHSERV, "--dns", str(EXAMPLE / "dns.json"), "--json")
    cli = json.loads(done.stdout)
    token = csrf_of(client.get("/").text)
    page = client.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example", "live": "yes",
                                          "authserv_id": AUTHSERV, "message": example_message().decode()})
    assert page.status_code == 200
    text = _text(page.text)
    assert re.search(r'<h1 id="verdict">([^<]*)</h1>', page.text).group(1) == headline(cli["verdict"], cli["confidence"])
    assert f"Confidence: {cli['confidence']}" in text
    for sentence in [cli["summary"], *cli["advice"], *(e["detail"] for e in cli["evidence"])]:
        assert " ".join(sentence.split()) in text
    assert page.text.index('id="verdict"') < page.text.index('id="why"') < page.text.index('id="todo"')
    assert "DNS was not looked up" not in text


def test_without_live_dns_no_question_leaves_and_the_page_says_so(client_for, monkeypatch):
    import mailwarden.dns.offline as offline

    asked: list[str] = []
    original = offline.OfflineResolver.query

    async def spy(self, name, rdtype):
        asked.append(name)
        return await original(self, name, rdtype)

    monkeypatch.setattr(offline.OfflineResolver, "query", spy)

    class Exploding:
        async def query(self, name, rdtype):  # the configured resolver must not be asked
            raise AssertionError(f"DNS asked for {name}")

        async def aclose(self):
            pass

    c = client_for(dns=Exploding())
    token = csrf_of(c.get("/").text)
    page = c.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example",
                                     "message": example_message().decode()})
    assert page.status_code == 200
    assert "FORGED" in page.text and "DNS was not looked up" in page.text
    assert asked  # the engines ran, and got no answer from anyone


def test_audit_page_shows_the_audit(client):
    done = run_cli("audit", "fabrikam.example", "--dns", str(EXAMPLE / "dns.json"), "--json")
    cli = json.loads(done.stdout)
    token = csrf_of(client.get("/audit").text)
    page = client.post("/audit", data={"csrf": token, "domain": "fabrikam.example"})
    text = _text(page.text)
    assert f"fabrikam.example: grade {cli['grade']}" in text
    for finding in cli["findings"]:
        assert " ".join(finding["message"].split()) in text and finding["id"] in text
    for record in cli["recommended_records"]:
        assert record["name"] in text and " ".join(record["value"].split()) in text
    for step in cli["rollout"]:
        assert " ".join(step.split()) in text


@pytest.mark.parametrize(("domain", "message"), [("not a domain", "is not a domain name"),
                                                 ("<b>x</b>", "is not a domain name")])
def test_audit_bad_domain_is_a_clear_error(client, domain, message):
    token = csrf_of(client.get("/audit").text)
    page = client.post("/audit", data={"csrf": token, "domain": domain})
    assert page.status_code == 400 and message in page.text
    assert "<b>x</b>" not in page.text


def test_bad_message_and_address_are_clear_errors(client):
    token = csrf_of(client.get("/").text)
    page = client.post("/diagnose", data={"csrf": token, "me": "", "message": "From: a@b.example\n\nx"})
    assert page.status_code == 400 and "enter your e-mail address" in page.text
    page = client.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example", "message": "  "})
    assert page.status_code == 400 and "Paste the message" in page.text
    page = client.post("/diagnose", data={"csrf": token, "me": "x@", "message": "From: a@b.example\n\nx"})
    assert page.status_code == 400 and "neither an e-mail address nor a domain" in page.text


def test_binary_garbage_gets_an_answer_not_a_crash(client):
    token = csrf_of(client.get("/").text)
    page = client.post("/diagnose", data={"csrf": token, "me": "dana@fabrikam.example"},
                       files={"upload": ("x.eml", bytes(range(256)) * 50, "application/octet-stream")})
    assert page.status_code in (200, 400)
    assert "Traceback" not in page.text


def test_split_identities():
    assert split_identities("dana@fabrikam.example, fabrikam.example; x@bücher.example") == (
        ("dana@fabrikam.example", "x@bücher.example"), ("fabrikam.example",))
    for bad in ("<script>alert(1)</script>", "@x.example", "x@", "nodots", "x@-bad.example"):
        with pytest.raises(InputError):
            split_identities(bad)


def test_audit_when_dns_does_not_answer_gives_no_grade(client_for):
    c = client_for(dns={"fabrikam.example": {"TXT": "TIMEOUT", "MX": "TIMEOUT", "A": "TIMEOUT"},
                        "_dmarc.fabrikam.example": {"TXT": "TIMEOUT"}})
    token = csrf_of(c.get("/audit").text)
    page = c.post("/audit", data={"csrf": token, "domain": "fabrikam.example"})
    assert page.status_code == 503
    assert "Nothing can be concluded" in page.text and "grade" not in _text(page.text).split("Audit")[-1]


def test_audit_of_a_domain_that_does_not_exist(client):
    token = csrf_of(client.get("/audit").text)
    page = client.post("/audit", data={"csrf": token, "domain": "nowhere.example"})
    assert page.status_code == 400 and "does not exist" in page.text
