"""API keys (missing, malformed, unknown, revoked, expired), the key command line, turning
authentication off, and TLS / mutual TLS handshakes accepted and refused as configured."""

import asyncio
import datetime
import logging
import subprocess
import sys
from dataclasses import replace

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from onestock.inventory.v1 import inventory_service_pb2 as inv
from onestock.inventory.v1 import inventory_service_pb2_grpc as inv_grpc

from services.access import client, keys
from services.common.server import start_server
from services.common.uow import in_transaction
from tests.access.conftest import database_fingerprint
from tests.helpers import (
    cli_key,
    notices_cut_off,
    own_database_env,
    seed,
    sku,
    store,
)


async def get_sku(channel) -> grpc.StatusCode:
    try:
        await inv_grpc.InventoryServiceStub(channel).GetSku(inv.GetSkuRequest(sku_id="LAMP"))
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.fixture
def target(server) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer osk_short_secret",
    "Bearer osk_abcdefghijkl_" + "A" * 43, "Bearer ' OR 1=1 --",
])
async def test_a_missing_or_bad_credential_is_unauthenticated_and_changes_nothing(
        target, channel, engine, header):
    await seed(inv_grpc.InventoryServiceStub(channel), [store("S1", 31.2, 121.4)], [sku("LAMP")])
    before = await database_fingerprint(engine)
    metadata = () if header is None else (("authorization", header),)
    async with grpc.aio.insecure_channel(target) as anonymous:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await inv_grpc.InventoryServiceStub(anonymous).AdjustStock(inv.AdjustStockRequest(
                request_id="adj", location_id="S1", sku_id="LAMP", delta=5,
                reason=inv.ADJUSTMENT_REASON_RECEIPT), metadata=metadata)
    assert caught.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert await database_fingerprint(engine) == before


async def test_a_revoked_key_stops_working_at_once_though_it_was_cached(
        target, channel, engine, issue_key):
    await inv_grpc.InventoryServiceStub(channel).UpsertSkus(inv.UpsertSkusRequest(
        request_id="s", skus=[sku("LAMP")]))
    key = await issue_key("OPS")
    async with client.channel(target, key) as holder:
        assert await get_sku(holder) is grpc.StatusCode.OK  # now cached by the server
        key_id = keys.parse(key)[0]
        assert await in_transaction(engine, lambda conn: keys.revoke(conn, key_id))
        for _ in range(50):  # the NOTIFY arrives within milliseconds
            if await get_sku(holder) is grpc.StatusCode.UNAUTHENTICATED:
                break
            await asyncio.sleep(0.02)
        assert await get_sku(holder) is grpc.StatusCode.UNAUTHENTICATED


async def test_a_key_revoked_while_no_notice_can_arrive_stops_working_within_about_a_second(
        server, target, channel, engine, issue_key, database_url):
    """The server's LISTEN connection is down and stays down (new connections refused): the
    revocation's notice cannot reach it, so a cached key is read again a second after it
    was last read, rather than after the usual 30 seconds."""
    await inv_grpc.InventoryServiceStub(channel).UpsertSkus(inv.UpsertSkusRequest(
        request_id="s", skus=[sku("LAMP")]))
    key = await issue_key("OPS")
    async with client.channel(target, key) as holder:
        assert await get_sku(holder) is grpc.StatusCode.OK  # now cached by the server
        async with notices_cut_off(server, engine, database_url):
            assert await in_transaction(engine, lambda conn: keys.revoke(conn, keys.parse(key)[0]))
            for _ in range(50):
                if await get_sku(holder) is grpc.StatusCode.UNAUTHENTICATED:
                    break
                await asyncio.sleep(0.1)
            assert await get_sku(holder) is grpc.StatusCode.UNAUTHENTICATED


async def test_an_expired_key_is_refused(target, channel, issue_key):
    await inv_grpc.InventoryServiceStub(channel).UpsertSkus(inv.UpsertSkusRequest(
        request_id="s", skus=[sku("LAMP")]))
    key = await issue_key("OPS", expires_in=datetime.timedelta(seconds=1))
    async with client.channel(target, key) as holder:
        assert await get_sku(holder) is grpc.StatusCode.OK
        await asyncio.sleep(1.2)
        assert await get_sku(holder) is grpc.StatusCode.UNAUTHENTICATED


async def test_location_bound_kinds_need_a_known_location(issue_key):
    with pytest.raises(keys.KeyRefused, match="needs --location"):
        await issue_key("POS")
    with pytest.raises(keys.KeyRefused, match="unknown location"):
        await issue_key("STORE_STAFF", "NOWHERE")
    with pytest.raises(keys.KeyRefused, match="takes no --location"):
        await issue_key("MALL", "S1")


def test_keys_are_created_listed_and_revoked_from_the_command_line(database_url):
    env = own_database_env(database_url)
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "services.common.cli", *args], env=env, capture_output=True,
        text=True, timeout=120)
    assert run("migrate").returncode == 0
    key = cli_key(env, "OPS")
    key_id = keys.parse(key)[0]
    listed = run("keys", "list").stdout
    assert key_id in listed and "OPS" in listed and "active" in listed
    assert key.split("_", 2)[2] not in listed  # the secret is shown once, never again
    assert run("keys", "revoke", key_id).returncode == 0
    assert "revoked" in run("keys", "list").stdout
    refused = run("keys", "create", "--kind", "POS")
    assert refused.returncode == 2 and "needs --location" in refused.stderr
    assert run("keys", "revoke", "nosuchkey").returncode == 1


async def test_authentication_can_be_turned_off_only_explicitly_and_says_so_loudly(
        settings, database_url, engine, caplog):
    caplog.set_level(logging.WARNING)
    running = await start_server(replace(settings, auth_enabled=False), database_url,
                                 address="127.0.0.1:0", engine=engine)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as anonymous:
            assert await get_sku(anonymous) is grpc.StatusCode.NOT_FOUND  # served, no key
    finally:
        await running.stop(0.5)
    assert "AUTHENTICATION IS DISABLED" in caplog.text


# --- TLS and mutual TLS ------------------------------------------------------------


def _cert(subject: str, issuer_key, issuer_name, *, ca=False, san=None):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer_name or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=1))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def _pem(key, cert) -> tuple[bytes, bytes]:
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A chain's CA, the server's certificate and two tills' client certificates."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _cert("OneStock test CA", None, None, ca=True)
    made = {"ca": (None, ca_cert.public_bytes(serialization.Encoding.PEM))}
    made["server"] = _pem(*_cert("onestock.test", ca_key, ca_cert.subject,
                                 san=[x509.DNSName("onestock.test")]))
    for location in ("S1", "S2"):
        made[f"pos:{location}"] = _pem(*_cert(f"pos:{location}", ca_key, ca_cert.subject))
    paths = {}
    for name, (key, cert) in made.items():
        safe = name.replace(":", "_")
        paths[name] = folder / f"{safe}.crt"
        paths[name].write_bytes(cert)
        if key:
            (folder / f"{safe}.key").write_bytes(key)
            paths[f"{name}.key"] = folder / f"{safe}.key"
    return paths, made


async def _tls_server(settings, database_url, engine, pki, **kw):
    paths, _ = pki
    configured = replace(settings, tls_cert=paths["server"], tls_key=paths["server.key"], **kw)
    return await start_server(configured.checked(), database_url, address="127.0.0.1:0",
                              engine=engine)


def _credentials(pki, client_cert: str | None = None) -> grpc.ChannelCredentials:
    _, made = pki
    key, cert = made[client_cert] if client_cert else (None, None)
    return grpc.ssl_channel_credentials(root_certificates=made["ca"][1], private_key=key,
                                        certificate_chain=cert)


TLS_NAME = (("grpc.ssl_target_name_override", "onestock.test"),)


async def test_tls_serves_clients_that_trust_the_chain_ca_and_refuses_plaintext(
        settings, database_url, engine, ops_key, pki):
    running = await _tls_server(settings, database_url, engine, pki)
    target = f"127.0.0.1:{running.port}"
    try:
        async with client.channel(target, ops_key, credentials=_credentials(pki),
                                  options=TLS_NAME) as secure:
            assert await get_sku(secure) is grpc.StatusCode.NOT_FOUND  # reached the servicer
        async with client.channel(target, ops_key) as plaintext:
            assert await get_sku(plaintext) is grpc.StatusCode.UNAVAILABLE
    finally:
        await running.stop(0.5)


async def test_mutual_tls_refuses_a_client_without_a_certificate_of_the_chain(
        settings, database_url, engine, ops_key, pki):
    paths, _ = pki
    running = await _tls_server(settings, database_url, engine, pki, tls_client_ca=paths["ca"])
    target = f"127.0.0.1:{running.port}"
    try:
        async with client.channel(target, ops_key, credentials=_credentials(pki),
                                  options=TLS_NAME) as no_cert:
            assert await get_sku(no_cert) is grpc.StatusCode.UNAVAILABLE
        async with client.channel(target, ops_key, credentials=_credentials(pki, "pos:S1"),
                                  options=TLS_NAME) as with_cert:
            assert await get_sku(with_cert) is grpc.StatusCode.NOT_FOUND
    finally:
        await running.stop(0.5)


async def test_a_pos_key_counts_only_beside_its_own_stores_client_certificate(
        settings, database_url, engine, channel, issue_key, pki):
    await seed(inv_grpc.InventoryServiceStub(channel), [store("S1", 31.2, 121.4)], [sku("LAMP")])
    paths, _ = pki
    running = await _tls_server(settings, database_url, engine, pki, tls_client_ca=paths["ca"],
                                pos_requires_client_cert=True)
    target = f"127.0.0.1:{running.port}"
    pos_key = await issue_key("POS", "S1")
    try:
        for cert, expected in (("pos:S1", grpc.StatusCode.OK),
                               ("pos:S2", grpc.StatusCode.UNAUTHENTICATED)):
            async with client.channel(target, pos_key, credentials=_credentials(pki, cert),
                                      options=TLS_NAME) as till:
                assert await get_sku(till) is expected, cert
    finally:
        await running.stop(0.5)


def test_tls_settings_that_cannot_work_are_refused_naming_the_variables(tmp_path):
    from services.common.config import Settings

    pem = tmp_path / "x.pem"
    pem.write_text("x")
    for env, variable in (
            ({"ONESTOCK_TLS_CERT": str(pem)}, "ONESTOCK_TLS_KEY"),
            ({"ONESTOCK_TLS_CLIENT_CA": str(pem)}, "ONESTOCK_TLS_CERT"),
            ({"ONESTOCK_POS_REQUIRE_CLIENT_CERT": "true"}, "ONESTOCK_TLS_CLIENT_CA"),
            ({"ONESTOCK_TLS_CERT": str(pem), "ONESTOCK_TLS_KEY": str(tmp_path / "no")}, "no"),
            ({"ONESTOCK_AUTH": "maybe"}, "ONESTOCK_AUTH")):
        with pytest.raises(ValueError, match=variable):
            Settings.from_env(env)


@pytest.mark.parametrize(("argv", "message"), [
    (["create", "--kind", "OPS", "--expires-in", "99999999999d"], "more than ten years"),
    (["create", "--kind", "OPS", "--expires-in", "0d"], "'0d' is no time at all"),
    (["create", "--kind", "POS", "--location", "S1\x00"], "is not an id"),
    (["create", "--kind", "OPS", "--name", "till\x003"], "must not contain control characters"),
    (["create", "--kind", "OPS", "--name", "x" * 201], "at most 200 characters"),
    (["revoke", "../etc"], "is not an id"),
])
def test_keys_cli_refuses_bad_arguments_naming_them_before_touching_the_database(
        argv, message, capsys, monkeypatch):
    from services.common.cli import main

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never reached
    with pytest.raises(SystemExit) as exited:
        main(["keys", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
