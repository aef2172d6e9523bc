"""The sample deployment as the deploy tests run it: nginx with docs/deploy/nginx.conf over TLS in front of
production server processes, a self-signed certificate for 127.0.0.1, and where each phone's socket landed.

nginx runs the sample file itself, with only its ports, certificate paths and upstream addresses
substituted. Shared by tests/deploy/test_nginx.py (Journey 1 over the API and sockets) and
tests/deploy/test_nginx_browser.py (Journey 1 in Chromium).
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.conftest import require_server
from tests.faults.harness import ROOT, base_env, free_port, manage, wait_for_port

SAMPLE = ROOT / "docs" / "deploy" / "nginx.conf"
MIME_TYPES = Path("/etc/nginx/mime.types")


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Nginx:
    """nginx running docs/deploy/nginx.conf, substituted for loopback test ports."""

    def __init__(
        self, directory: Path, backends: list[int], cert: Path, key: Path, *, https_port: int | None = None
    ) -> None:
        binary = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
        if binary is None:
            require_server("nginx", "not installed (apt-get install nginx-light; .ci/run installs it)")
        self.binary = str(binary)
        self.dir = directory
        self.http_port, self.https_port = free_port(), https_port or free_port()
        site = SAMPLE.read_text()
        replacements = {
            "server 127.0.0.1:8001 ": f"server 127.0.0.1:{backends[0]} ",
            "server 127.0.0.1:8002 ": f"server 127.0.0.1:{backends[1]} ",
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "/etc/zhengqi/tls/fullchain.pem": str(cert),
            "/etc/zhengqi/tls/privkey.pem": str(key),
            "/srv/zhengqi/app/staticfiles/": f"{ROOT / 'staticfiles'}/",
        }
        for old, new in replacements.items():
            assert old in site, f"the sample no longer has {old!r}: update this test with it"
            site = site.replace(old, new)
        site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)  # no IPv6 in the sandbox
        (directory / "zhengqi.conf").write_text(site)
        temp = directory / "temp"
        temp.mkdir()
        temp.chmod(0o777)  # workers run as nobody
        (directory / "nginx.conf").write_text(
            f"""daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    # As Debian's /etc/nginx/nginx.conf, around which the sample is an include: without the MIME
    # types every static file is text/plain, and browsers refuse such stylesheets.
    include {MIME_TYPES};
    default_type application/octet-stream;
    access_log {directory}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/zhengqi.conf;
}}
"""
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        config, errors = str(self.dir / "nginx.conf"), str(self.dir / "error.log")
        check = subprocess.run(
            [self.binary, "-t", "-p", str(self.dir), "-e", errors, "-c", config],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        self.proc = subprocess.Popen(
            [self.binary, "-p", str(self.dir), "-e", errors, "-c", config],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.https_port, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def production_env(database_url: str, redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return base_env(
        ZHENGQI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ZHENGQI_FIELD_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ZHENGQI_REDIS_PREFIX=prefix,
        ZHENGQI_PROXY_COUNT="1",
        **extra,
    )


def processes_of(redis_url: str, prefix: str, count: int) -> dict[str, str]:
    """Which server process holds each connected phone: the presence snapshots every process writes to Redis."""
    client = redis.Redis.from_url(redis_url)
    for _ in range(100):  # each process rewrites its snapshot within a second of a change
        where: dict[str, str] = {}
        for process in client.zrange(f"{prefix}:presence:procs", 0, -1):
            for person in client.hkeys(f"{prefix}:presence:proc:{process.decode()}"):
                where[person.decode()] = process.decode()
        if len(where) == count:
            return where
        time.sleep(0.1)
    raise AssertionError(f"presence shows {where}")


def collect_static(env: dict[str, str]) -> None:
    """`manage.py collectstatic` into STATIC_ROOT (ROOT/staticfiles, where the substituted sample points),
    as DEPLOY.md's installation does: production pages name the hashed files of its manifest."""
    manage(env, "collectstatic", "--noinput", "-v0")
