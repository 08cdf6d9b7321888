"""The pages in a real browser: Debian's Chromium driven by Playwright, against uvicorn on loopback.

Each test also saves full-page screenshots (desktop and phone width) as artefacts.
"""

from __future__ import annotations

import re

import pytest
from tests.web.conftest import DESKTOP, EXAMPLE, PHONE, example_dns, example_message, shoot
from tests.web.hostile import hostile_dns, hostile_lookalike, hostile_message

from mailwarden.web import create_app

pytestmark = pytest.mark.browser

AUTHSERV = "mx1.inbound.fabrikam.example"


@pytest.fixture
def site(serve, tmp_path):
    return serve(create_app(dns=example_dns(), db_url=str(tmp_path / "reports.db")))


def test_home_page_links_every_page_and_labels_every_field(site, open_page, artifacts):
    w = open_page()
    w.page.goto(site.url + "/")
    assert w.page.title().startswith("Is this spam really from me?")
    hrefs = set(w.page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))"))
    assert {"/audit"} <= hrefs
    shoot(w.page, artifacts, "01-home")
    for path in ("/", "/audit", "/reports", "/login"):
        w.page.goto(site.url + path)
        fields = w.page.query_selector_all("input:not([type=hidden]), textarea, select")
        assert fields or path == "/reports"
        for field in fields:
            ident = field.get_attribute("id")
            assert ident and w.page.query_selector(f"label[for='{ident}']"), f"unlabelled field {ident} on {path}"
        w.page.set_viewport_size(PHONE)
        assert w.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], path
        w.page.set_viewport_size(DESKTOP)
        w.assert_no_script()


def test_paste_the_bundled_example_and_read_the_verdict(site, open_page, artifacts):
    w = open_page()
    w.page.goto(site.url + "/")
    w.page.get_by_label("Your e-mail address").fill("dana@fabrikam.example")
    w.page.get_by_label("The message: its full source, or just its headers").fill(example_message().decode())
    w.page.get_by_role("button", name="Check this message").click()
    w.page.wait_for_load_state()
    verdict = w.page.inner_text("h1#verdict")
    # without DNS the answer rests on the provider's results only: medium, never worded as a certainty
    assert verdict == "PROBABLY FORGED - your account was most likely not used"
    # the verdict comes first on the page, before the evidence and the advice
    order = w.page.eval_on_selector_all("main h1, main h2", "els => els.map(e => e.textContent.trim())")
    assert order[:3] == [verdict, "Why", "What to do"]
    assert "DNS was not looked up" in w.page.inner_text("main")
    assert "most likely forged" in w.page.inner_text(".verdict")
    shoot(w.page, artifacts, "02-diagnosis-pasted")
    w.assert_no_script()


def test_upload_an_eml_with_live_dns(site, open_page, artifacts):
    w = open_page(viewport=PHONE)
    w.page.goto(site.url + "/")
    w.page.get_by_label("Your e-mail address").fill("dana@fabrikam.example")
    w.page.set_input_files("#upload", str(EXAMPLE / "message.eml"))
    w.page.get_by_label("Look up DNS live").check()
    w.page.get_by_text("More options").click()
    w.page.get_by_label("Your provider's checking server (authserv-id)").fill(AUTHSERV)
    w.page.get_by_role("button", name="Check this message").click()
    w.page.wait_for_load_state()
    assert w.page.inner_text("h1#verdict") == "FORGED - your account was not used"
    assert "Confidence: high" in w.page.inner_text(".verdict")
    assert "DNS was not looked up" not in w.page.inner_text("main")
    # phone width: nothing wider than the screen
    assert w.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(w.page, artifacts, "03-diagnosis-uploaded")
    w.assert_no_script()


def test_audit_page_on_a_dns_snapshot(site, open_page, artifacts):
    w = open_page()
    w.page.goto(site.url + "/")
    w.page.get_by_role("link", name="Audit a domain").first.click()
    w.page.get_by_label("Domain", exact=True).fill("fabrikam.example")
    w.page.get_by_role("button", name="Audit").click()
    w.page.wait_for_load_state()
    assert w.page.inner_text("h2#grade").startswith("fabrikam.example: grade ")
    text = w.page.inner_text("main")
    assert "dmarc-p-none" in text and "DMARC roll-out plan" in text and "Records to publish" in text
    shoot(w.page, artifacts, "04-audit")
    w.page.set_viewport_size(PHONE)
    assert w.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    w.assert_no_script()


def test_error_is_shown_on_the_form_and_keeps_what_was_typed(site, open_page, artifacts):
    w = open_page()
    w.page.goto(site.url + "/")
    w.page.get_by_label("Your e-mail address").fill("dana@fabrikam.example")
    w.page.get_by_role("button", name="Check this message").click()
    w.page.wait_for_load_state()
    assert "Paste the message" in w.page.inner_text("[role=alert]")
    assert w.page.get_by_label("Your e-mail address").input_value() == "dana@fabrikam.example"
    shoot(w.page, artifacts, "05-form-error")


def test_works_without_javascript(site, browser):
    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(site.url + "/")
        page.fill("#me", "dana@fabrikam.example")
        page.fill("#message", example_message().decode())
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        assert page.inner_text("h1#verdict") == "PROBABLY FORGED - your account was most likely not used"
    finally:
        ctx.close()


# ---------------------------------------------------------------- XSS: attacker text never runs
@pytest.fixture
def hostile_site(serve, tmp_path):
    return serve(create_app(dns={**example_dns(), **hostile_dns()}, db_url=str(tmp_path / "reports.db")))


@pytest.mark.parametrize("message", [hostile_message(), hostile_lookalike()], ids=["spoof", "lookalike"])
@pytest.mark.parametrize("live", [False, True], ids=["offline", "live"])
def test_hostile_message_runs_no_script(hostile_site, open_page, artifacts, message, live, tmp_path, request):
    # bypass_csp: the escaping alone must hold; the CSP is a second wall, not the first
    w = open_page(bypass_csp=True)
    w.page.goto(hostile_site.url + "/")
    w.page.fill("#me", "dana@fabrikam.example")
    path = tmp_path / "hostile.eml"
    path.write_bytes(message)
    w.page.set_input_files("#upload", str(path))
    if live:
        w.page.check("#live")
    w.page.click("button[type=submit].primary")
    w.page.wait_for_load_state()
    assert w.page.query_selector("h1#verdict") is not None
    w.assert_no_script()
    assert "<" in w.page.inner_text("main")  # the markup is shown as text, not dropped
    shoot(w.page, artifacts, f"06-xss-{request.node.callspec.id}")


def test_hostile_paste_echoed_back_on_error_runs_no_script(hostile_site, open_page):
    w = open_page(bypass_csp=True)
    w.page.goto(hostile_site.url + "/")
    w.page.fill("#me", "<script>alert('me')</script>")
    w.page.fill("#message", hostile_message().decode())
    w.page.click("button[type=submit].primary")
    w.page.wait_for_load_state()
    assert w.page.query_selector("[role=alert]") is not None
    assert w.page.input_value("#message") == hostile_message().decode().replace("\r\n", "\n")
    w.assert_no_script()


def test_hostile_dns_records_on_the_audit_page_run_no_script(hostile_site, open_page, artifacts):
    w = open_page(bypass_csp=True)
    w.page.goto(hostile_site.url + "/audit")
    w.page.fill("#domain", "evil.example")
    w.page.fill("#selectors", "default")
    w.page.click("button[type=submit].primary")
    w.page.wait_for_load_state()
    assert "grade" in w.page.inner_text("h2#grade")
    assert "<script>" in w.page.inner_text("main")
    w.assert_no_script()
    shoot(w.page, artifacts, "07-xss-audit")


# ---------------------------------------------------------------- the reports dashboard
def test_dashboard_on_the_report_corpus(serve, open_page, artifacts, corpus_store):
    site = serve(create_app(db_url=corpus_store, dns={}))
    w = open_page()
    w.page.goto(site.url + "/")
    w.page.get_by_role("link", name="Who sends as you").first.click()
    w.page.wait_for_load_state()
    assert w.page.inner_text("h1") == "Who sends mail as example.com"
    assert w.page.locator("svg.chart-wide").count() == 2
    assert all(box["width"] > 800 for box in (w.page.locator("svg.chart-wide").first.bounding_box(),))
    shoot(w.page, artifacts, "08-dashboard")
    w.page.get_by_role("link", name=re.compile(r"^unauthorized \(")).click()
    w.page.wait_for_load_state()
    kinds = set(w.page.locator("table.inventory tbody .badge").all_inner_texts())
    assert kinds == {"unauthorized"}
    w.page.get_by_label("Filter by address, host name, provider or domain").fill("no-such-sender")
    w.page.get_by_role("button", name="Filter").click()
    w.page.wait_for_load_state()
    assert "No sender matches." in w.page.inner_text("main")
    w.page.set_viewport_size(PHONE)
    assert w.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    w.assert_no_script()


def test_hostile_reports_and_reverse_dns_run_no_script(serve, open_page, artifacts, hostile_store):
    from tests.web.hostile import hostile_reverse_dns

    site = serve(create_app(db_url=hostile_store, dns=hostile_reverse_dns()))
    w = open_page(bypass_csp=True)
    for path in ("/reports", "/reports?bucket=unauthorized", "/reports?sort=host", "/reports?q=%3Cscript%3E"):
        w.page.goto(site.url + path)
        w.assert_no_script()
    w.page.goto(site.url + "/reports")
    assert "<script>alert('ptr')</script>.evil.example" in w.page.inner_text("main")
    shoot(w.page, artifacts, "09-xss-dashboard")
