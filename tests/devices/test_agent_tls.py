"""The agent over HTTPS/WSS: the server's certificate is verified, against a CA file when one is given.

The app runs under uvicorn with a certificate made here, signed by a CA made here (not one the
system trusts, as in a shop with its own CA).
"""

import ipaddress
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devices.agent.config import InsecureServer, check_server_url
from devices.models import Device
from devices.services import create_pairing_code
from tests.devices.test_agent_end_to_end import AgentProcess, devices_server, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def make_ca(name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def make_server_certificate(ca_key, ca_certificate):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def write_pem(path, certificate=None, key=None):
    if certificate is not None:
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return path


@pytest.fixture
def shop_ca(tmp_path):
    """The shop's own CA (its certificate in ca.pem) and the server's key and certificate it signed."""
    ca_key, ca_certificate = make_ca("Shop CA")
    key, certificate = make_server_certificate(ca_key, ca_certificate)
    return {
        "ca_file": write_pem(tmp_path / "ca.pem", certificate=ca_certificate),
        "key_file": write_pem(tmp_path / "server-key.pem", key=key),
        "cert_file": write_pem(tmp_path / "server-cert.pem", certificate=certificate),
    }


@pytest.fixture
def tls_server(tmp_path, shop_ca, register):
    tls = ("--ssl-keyfile", str(shop_ca["key_file"]), "--ssl-certfile", str(shop_ca["cert_file"]))
    with devices_server(tmp_path, *tls, scheme="https") as url:
        yield url


@pytest.fixture
def agent(tmp_path):
    agent = AgentProcess(tmp_path / "agent-data", tmp_path / "agent.log")
    yield agent
    agent.stop()


def test_pairing_over_https_verifies_the_certificate_with_the_given_ca_and_the_agent_connects_over_wss(
    tls_server, shop_ca, agent, register
):
    agent.pair(tls_server, create_pairing_code(register=register), "--ca-file", str(shop_ca["ca_file"]))

    config = json.loads((agent.data_dir / "agent.json").read_text())
    assert config["server"].startswith("https://") and config["ca_file"] == str(shop_ca["ca_file"])
    agent.start()
    wait_until(lambda: Device.objects.filter(local_port=agent.local_port).exists(), what="a connection over wss")
    assert "Connected to https://127.0.0.1" in agent.log


def test_without_the_shops_ca_pairing_fails_and_says_what_to_do(tls_server, agent, register):
    result = agent.pair(tls_server, create_pairing_code(register=register), expect_success=False)

    assert result.returncode == 2
    message = result.stderr.decode()
    assert f"Could not verify the certificate of {tls_server}" in message
    assert "pass --ca-file" in message and "Traceback" not in message
    assert not (agent.data_dir / "agent.json").exists()
    assert not Device.objects.exists()  # the code was never sent over the unverified connection


def test_a_ca_that_did_not_sign_the_servers_certificate_is_refused(tls_server, agent, register, tmp_path):
    _, other_ca = make_ca("Someone else's CA")
    other = write_pem(tmp_path / "other-ca.pem", certificate=other_ca)

    code = create_pairing_code(register=register)
    result = agent.pair(tls_server, code, "--ca-file", str(other), expect_success=False)

    assert result.returncode == 2
    assert f"is {other} the CA that signed it?" in result.stderr.decode()
    assert not Device.objects.exists()


def test_an_agent_told_to_trust_another_ca_never_connects_and_says_why(tls_server, shop_ca, agent, register, tmp_path):
    agent.pair(tls_server, create_pairing_code(register=register), "--ca-file", str(shop_ca["ca_file"]))
    _, other_ca = make_ca("Someone else's CA")
    other = write_pem(tmp_path / "other-ca.pem", certificate=other_ca)

    agent.start("--ca-file", str(other))  # saved: from now on only that CA is trusted

    wait_until(lambda: "Could not verify the certificate" in agent.log, what="the refusal in the log")
    assert json.loads((agent.data_dir / "agent.json").read_text())["ca_file"] == str(other)
    assert Device.objects.get().last_seen is None  # the token was never sent to an unverified server


def test_plain_http_to_a_server_that_is_not_on_this_pc_needs_the_explicit_opt_in(agent):
    result = agent.pair("http://pos.example.com", "K7MX2QPA", expect_success=False)

    assert result.returncode == 2
    assert "Refusing plain HTTP to pos.example.com" in result.stderr.decode()
    with pytest.raises(InsecureServer):
        check_server_url("http://192.168.1.10:8000", allow_http=False)
    check_server_url("http://192.168.1.10:8000", allow_http=True)
    check_server_url("http://127.0.0.1:8000", allow_http=False)  # this PC: nothing crosses a network
    check_server_url("https://pos.example.com", allow_http=False)
