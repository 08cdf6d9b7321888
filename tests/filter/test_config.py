"""Configuration loading (TOML + command-line overrides), counters, and the command's usage errors."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden.errors import InputError
from mailwarden.filter.config import FilterConfig, config_from_mapping, load_config
from mailwarden.filter.metrics import Metrics
from mailwarden.filter.runner import libmilter_socket

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_safe_ones():
    c = FilterConfig()
    assert (c.on_error, c.self_spoof_action, c.backscatter_action, c.dmarc_enforce) == (
        "tempfail", "reject", "reject", True)


def test_full_file_and_overrides(tmp_path):
    f = tmp_path / "f.toml"
    f.write_text('authserv_id = "mx.a.test"\nlocal_domains = ["A.test.", "b.test"]\ntimeout = 3\n'
                 'trusted_networks = ["10.0.0.0/8"]\n[dmarc]\ntrusted_forwarders = ["192.0.2.1"]\n'
                 'trusted_arc_sealers = ["lists.example"]\n[self_spoof]\naction = "quarantine"\n'
                 '[monitoring]\nprometheus_listen = "127.0.0.1:9123"\nstats_interval = 60\n')
    c = load_config(str(f), {"timeout": 7, "local_domains": None, "dns.nameserver": "127.0.0.1:5353"})
    assert c.authserv_id == "mx.a.test" and c.local_domains == ("a.test", "b.test")
    assert c.timeout == 7.0 and c.nameserver == "127.0.0.1:5353"
    assert c.trusted_forwarders == (ipaddress.ip_network("192.0.2.1/32"),)
    assert c.self_spoof_action == "quarantine" and c.source == str(f)
    assert c.is_local("mail.a.test") and not c.is_local("nota.test") and not c.is_local(None)
    assert c.in_networks("10.1.2.3", c.trusted_networks) and c.in_networks("::ffff:10.0.0.1", c.trusted_networks)
    assert not c.in_networks("not an ip", c.trusted_networks)


@pytest.mark.parametrize(("text", "words"), [
    ("timeout = 'soon'", "timeout"),
    ("on_error = 'discard'", "on_error"),
    ("local_domains = ['not a domain']", "local_domains"),
    ("trusted_networks = ['10.0.0.0/33']", "trusted_networks"),
    ("colour = 'red'", "unknown key"),
    ("[self_spoof]\naction = 'bounce'", "self_spoof.action"),
    ("[monitoring]\nprometheus_listen = '0.0.0.0:9123'", "LOOPBACK"),
    ("authserv_id = 'a b'", "authserv_id"),
    ("this is not toml", "not valid TOML"),
    ("[dmarc]\nenforce = 'yes'", "true or false"),
])
def test_bad_configuration_is_one_clear_error(tmp_path, text, words):
    f = tmp_path / "f.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=words):
        load_config(str(f))


def test_missing_file_and_snapshot_with_nameserver(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_config(str(tmp_path / "nope.toml"))
    with pytest.raises(InputError, match="not both"):
        load_config(None, {"dns.snapshot": "x.json", "dns.nameserver": "127.0.0.1"})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["timeout", "on_error", "local_domains", "trusted_networks", "x"]),
                       st.one_of(st.text(max_size=20), st.integers(), st.floats(), st.lists(st.text(max_size=10)))))
def test_any_mapping_gives_a_config_or_an_input_error(data):
    try:
        config = config_from_mapping(data)
    except InputError as exc:
        assert str(exc).startswith("filter configuration")
    else:
        assert isinstance(config, FilterConfig)


@pytest.mark.parametrize(("listen", "spec"), [
    ("inet:127.0.0.1:8893", "inet:8893@127.0.0.1"), ("unix:/run/mw.sock", "unix:/run/mw.sock"),
    ("inet6:[::1]:8893", "inet6:8893@::1"),
])
def test_listen_syntax(listen, spec):
    assert libmilter_socket(listen) == spec


@pytest.mark.parametrize("listen", ["8893", "inet:127.0.0.1", "inet:host:99999", "tcp:1.2.3.4:5", "unix:"])
def test_bad_listen(listen):
    with pytest.raises(InputError):
        libmilter_socket(listen)


def test_metrics_text_and_stats_line():
    m = Metrics()
    m.record("self-spoof", "reject", 0.004)
    m.record("clean", "accept", 0.0004)
    m.error("timeout")
    text = m.render()
    assert "mailwarden_filter_messages_total 2" in text
    assert 'mailwarden_filter_latency_seconds_bucket{le="0.001"} 1' in text
    assert 'mailwarden_filter_latency_seconds_bucket{le="0.005"} 2' in text
    assert 'mailwarden_filter_errors_total{cause="timeout"} 1' in text
    assert m.stats_line().startswith("stats messages=2 accept=1 reject=1")


@pytest.mark.parametrize("args", [["--listen", "nonsense"], ["--listen", "inet:127.0.0.1:1", "--config", "/nope"],
                                  ["--listen", "inet:127.0.0.1:1", "--on-error", "maybe"]])
def test_usage_errors_exit_2_with_one_line(args):
    res = subprocess.run([sys.executable, "-m", "mailwarden", "filter", *args], capture_output=True, text=True,
                         timeout=60, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
