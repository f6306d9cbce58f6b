"""Test certificates made with openssl the way deploy/nats/README.md tells operators to."""

import subprocess
from pathlib import Path

SERVER_NAMES = ("nats-1", "nats-2", "nats-3", "localhost")


def make_certificates(directory: Path) -> Path:
    """A CA, and one server certificate for every node (and 127.0.0.1), as
    deploy/nats/nats-N.conf names them; the directory."""
    directory.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=OneDoor NATS CA", "-keyout", "ca-key.pem", "-out", "ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=nats", "-keyout",
            "server-key.pem", "-out", "server.csr")
    names = ",".join(f"DNS:{n}" for n in SERVER_NAMES)
    (directory / "san.ext").write_text(f"subjectAltName={names},IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem")
    return directory
