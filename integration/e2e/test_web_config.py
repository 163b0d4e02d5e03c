"""TLS and basic auth from --web.config.file: a real Prometheus scrapes over HTTPS with basic_auth, and promtool
accepts the very file the exporter loads."""
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import urllib.request
from base64 import b64encode
from contextlib import contextmanager

import pytest

from harness import exporter_bin, free_port, http_get, prometheus_query, run_prometheus, wait_until

USER = "prometheus"
PASSWORD = "scrape-pass-7f3a"
# bcrypt (cost 10) of PASSWORD, as `htpasswd -nBC 10 prometheus` writes it.
PASSWORD_HASH = "$2b$10$aS5WcYPF.1jP1vetSnf1tO9XKrhR1/CRy3NZxWvvOtEqRkt.hUV8C"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 it signs: ca.crt, server.crt, server.key."""
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-days", "2", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-subj", "/CN=e2e-ca")
    openssl("req", *ec, "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=127.0.0.1")
    with open(p("server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial",
            "-days", "2", "-out", p("server.crt"), "-extfile", p("server.ext"))


def https_get(url, cafile, user=None, password=None):
    """(status, lower-cased headers, body) over TLS verified against `cafile`; HTTP errors are answers too."""
    headers = {}
    if user is not None:
        headers["Authorization"] = "Basic " + b64encode(f"{user}:{password}".encode()).decode()
    context = ssl.create_default_context(cafile=cafile)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10, context=context) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


@contextmanager
def exporter_with_web_config(web_config, cafile):
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="exporter-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [exporter_bin(), "--demo", "--aggregation.interval", "1s", "--history.path", ":memory:",
         "--web.config.file", web_config, "--web.listen-address", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    base = f"https://127.0.0.1:{port}"
    try:
        wait_until(lambda: proc.poll() is not None or https_get(base + "/-/healthy", cafile)[0] == 200, 30,
                   what="exporter to listen over TLS")
        assert proc.poll() is None, open(log.name).read()
        yield base, port, log.name
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        os.unlink(log.name)


def test_prometheus_scrapes_over_https_with_basic_auth():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("prometheus is not installed (apt-get install prometheus)")
    with tempfile.TemporaryDirectory() as tmp:
        make_certificates(tmp)
        cafile = os.path.join(tmp, "ca.crt")
        web_config = os.path.join(tmp, "web.yml")
        with open(web_config, "w") as f:
            f.write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\n"
                    f"basic_auth_users:\n  {USER}: {PASSWORD_HASH}\n"
                    "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n")

        # promtool validates the very file the exporter loads (and loads its certificate and key).
        checked = subprocess.run([promtool, "check", "web-config", web_config], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        checked = subprocess.run([exporter_bin(), "--config.check", "--web.config.file", web_config],
                                 capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr

        with exporter_with_web_config(web_config, cafile) as (base, port, log):
            status, headers, _ = https_get(base + "/metrics", cafile, USER, "wrong")
            assert status == 401 and headers["www-authenticate"] == "Basic"
            status, headers, body = https_get(base + "/metrics", cafile, USER, PASSWORD)
            assert status == 200 and b"provider_health_exporter_build_info" in body
            assert headers["x-content-type-options"] == "nosniff"

            job = ("  - job_name: {name}\n    scheme: https\n    tls_config:\n      ca_file: {ca}\n"
                   "    basic_auth:\n      username: {user}\n      password: {password}\n"
                   "    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
            config = ("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
                      + job.format(name="right-password", ca=cafile, user=USER, password=PASSWORD, port=port)
                      + job.format(name="wrong-password", ca=cafile, user=USER, password="not-it", port=port))
            with run_prometheus(config, tmp) as prom:
                def up():
                    result = {r["metric"]["job"]: r["value"][1] for r in prometheus_query(prom, "up")}
                    return result if len(result) == 2 else None
                ups = wait_until(up, 30, what="both jobs scraped")
                assert ups == {"right-password": "1", "wrong-password": "0"}, ups
                scores = wait_until(lambda: prometheus_query(prom, 'provider_health_score{job="right-password"}'), 30,
                                    what="provider_health_score over HTTPS")
                assert {r["metric"]["provider"] for r in scores} >= {"demo-healthy", "demo-down"}
                _, _, body = http_get(prom + "/api/v1/targets")
                wrong = [t for t in json.loads(body)["data"]["activeTargets"] if t["labels"]["job"] == "wrong-password"]
                assert wrong and "401" in wrong[0]["lastError"], wrong
            with open(log, encoding="utf-8", errors="replace") as f:
                text = f.read()
            assert PASSWORD not in text and "not-it" not in text
