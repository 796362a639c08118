"""Security: JWT verification per CDS Hooks 2.0.1, no SSRF, request size limit, no patient data in logs.

JWT negative cases all give 401 with no detail: alg none, HS256 (even with the public key as secret),
wrong audience, expired, issued in the future, replayed jti, untrusted issuer, unknown kid, jku not the
configured JWKS URL, missing jti. ES384 and RS384 are accepted, keys from a JWKS file or URL (a loopback host).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from jakcheck.errors import ConfigError
from jakcheck.knowledge.loader import default_knowledge
from jakcheck.service.prefetch import prefetch_templates
from jakcheck.settings import PinnedJku, Settings, TrustedIssuer, load_settings
from tests.service.conftest import BASE, ISS, TokenFactory, auth, client_for, jwks_of
from tests.service.fake_servers import serve
from tests.service.hookdata import draft_order, hook_request, load, prefetch_of

SVC = f"{BASE}/cds-services/jakcheck-order-select"


def _order_select(client: TestClient, token: str | None, req: dict[str, Any] | None = None) -> Any:
    req = req or hook_request("order-select", load("ra-71-smoker-eu.json"),
                              [draft_order("tofacitinib", "ra-71-smoker")])
    return client.post("/cds-services/jakcheck-order-select", json=req,
                       headers=auth(token) if token is not None else {})


@pytest.mark.parametrize("alg", ["ES384", "RS384"])
def test_valid_tokens_are_accepted(alg: str, client: TestClient, make_token: TokenFactory) -> None:
    assert _order_select(client, make_token(aud=SVC, alg=alg)).status_code == 200
    assert client.get("/cds-services", headers=auth(make_token(alg=alg))).status_code == 200


def _unsigned(aud: str) -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(d)).rstrip(b"=").decode()
    import time
    now = int(time.time())
    return b64({"alg": "none", "typ": "JWT", "kid": "kid-ES384"}) + "." + b64(
        {"iss": ISS, "aud": aud, "exp": now + 300, "iat": now, "jti": "x"}) + "."


def test_alg_none_is_refused(client: TestClient) -> None:
    r = _order_select(client, _unsigned(SVC))
    assert r.status_code == 401
    assert r.json()["issue"][0]["diagnostics"] == "unauthorized: the bearer token was not accepted"


def test_hs256_is_refused_even_with_the_public_key_as_secret(client: TestClient, make_token: TokenFactory,
                                                            keys: dict[str, Any]) -> None:
    assert _order_select(client, make_token(aud=SVC, alg="HS256", key="a-shared-secret-of-32-bytes-long!"))\
        .status_code == 401
    pem = keys["RS384"].public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    forged = jwt.api_jws.PyJWS(algorithms=["HS384"])
    import time
    import uuid
    now = int(time.time())
    payload = orjson.dumps({"iss": ISS, "aud": SVC, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())})
    try:
        token = forged.encode(payload, pem, algorithm="HS384", headers={"kid": "kid-RS384", "typ": "JWT"})
    except jwt.InvalidKeyError:  # PyJWT refuses a PEM as an HMAC secret: the attack cannot even be built
        return
    assert _order_select(client, token).status_code == 401


@pytest.mark.parametrize("kwargs", [
    {"aud": f"{BASE}/cds-services"},  # the discovery URL, not this service
    {"aud": "https://other.example/cds-services/jakcheck-order-select"},
    {"aud": SVC, "lifetime": -120},  # expired beyond the 60 s leeway
    {"aud": SVC, "iat_offset": 600},  # issued in the future
    {"aud": SVC, "iss": "https://evil.example"},
    {"aud": SVC, "kid": "unknown-kid"},
    {"aud": SVC, "headers": {"jku": "https://evil.example/jwks.json"}},
    {"aud": SVC, "drop": ("jti",)},
    {"aud": SVC, "drop": ("exp",)},
    {"aud": SVC, "headers": {"typ": "at+jwt"}},
], ids=["discovery-aud", "other-aud", "expired", "future-iat", "untrusted-iss", "unknown-kid", "foreign-jku",
        "no-jti", "no-exp", "wrong-typ"])
def test_bad_tokens_are_refused(kwargs: dict[str, Any], client: TestClient, make_token: TokenFactory) -> None:
    assert _order_select(client, make_token(**kwargs)).status_code == 401


def test_token_signed_by_another_key_is_refused(client: TestClient, make_token: TokenFactory) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    assert _order_select(client, make_token(aud=SVC, key=ec.generate_private_key(ec.SECP384R1())))\
        .status_code == 401


def test_replayed_jti_is_refused(client: TestClient, make_token: TokenFactory) -> None:
    token = make_token(aud=SVC)
    assert _order_select(client, token).status_code == 200
    assert _order_select(client, token).status_code == 401
    assert _order_select(client, make_token(aud=SVC)).status_code == 200


def test_missing_or_malformed_header_is_refused(client: TestClient) -> None:
    assert _order_select(client, None).status_code == 401
    assert client.post("/cds-services/jakcheck-order-select", json={},
                       headers={"Authorization": "Basic abc"}).status_code == 401
    assert _order_select(client, "not-a-jwt").status_code == 401
    assert client.get("/cds-services").status_code == 401


def test_feedback_needs_a_token_too(client: TestClient, make_token: TokenFactory) -> None:
    fb = {"feedback": [{"card": "x", "outcome": "overridden", "outcomeTimestamp": "2026-11-26T10:00:00Z",
                        "overrideReason": {"userComment": "n/a"}}]}
    assert client.post("/cds-services/jakcheck-order-select/feedback", json=fb).status_code == 401
    assert client.post("/cds-services/jakcheck-order-select/feedback", json=fb,
                       headers=auth(make_token(aud=f"{SVC}/feedback"))).status_code == 200


def test_tenant_allowlist(settings: Settings, make_token: TokenFactory) -> None:
    issuer = replace(settings.trusted_issuers[0], tenants=("org-1",))
    with client_for(replace(settings, trusted_issuers=(issuer,))) as c:
        assert _order_select(c, make_token(aud=SVC, tenant="org-2")).status_code == 401
        assert _order_select(c, make_token(aud=SVC, tenant="org-1")).status_code == 200


def test_jwks_from_a_url_and_its_jku(settings: Settings, keys: dict[str, Any], make_token: TokenFactory) -> None:
    with serve({"/jwks.json": jwks_of(keys)}) as host:
        url = f"{host.base}/jwks.json"
        s = replace(settings, trusted_issuers=(TrustedIssuer(iss=ISS, jwks_url=url),))
        with client_for(s) as c:
            assert _order_select(c, make_token(aud=SVC)).status_code == 200
            assert _order_select(c, make_token(aud=SVC, headers={"jku": url})).status_code == 200
            assert _order_select(c, make_token(aud=SVC, alg="RS384")).status_code == 200
        assert len(host.requests) == 1  # cached


def test_pinned_jku_values_with_their_own_keys(settings: Settings, keys: dict[str, Any], make_token: TokenFactory,
                                             tmp_path: Path) -> None:
    """Sandbox-shaped tokens name a `jku`: accepted when the site pinned that value (with its own JWKS), refused
    for any other value and when signed with a key the pinned JWKS does not hold."""
    sandbox_keys = {"ES384": ec.generate_private_key(ec.SECP384R1())}
    sandbox_jwks = tmp_path / "sandbox-jwks.json"
    sandbox_jwks.write_bytes(orjson.dumps(jwks_of(sandbox_keys)))
    pinned = "https://sandbox.example.org/.well-known/jwks.json"
    issuer = replace(settings.trusted_issuers[0], jku=(PinnedJku(url=pinned, jwks_file=sandbox_jwks),))
    with client_for(replace(settings, trusted_issuers=(issuer,))) as c:
        sandbox = make_token(aud=SVC, headers={"jku": pinned}, key=sandbox_keys["ES384"])
        assert _order_select(c, sandbox).status_code == 200
        # the issuer's own keys without a jku still work
        assert _order_select(c, make_token(aud=SVC)).status_code == 200
        # a jku that was not pinned, even with a key from the pinned set
        other = make_token(aud=SVC, headers={"jku": "https://evil.example/jwks.json"}, key=sandbox_keys["ES384"])
        assert _order_select(c, other).status_code == 401
        # the pinned jku with a key it does not hold (the issuer's own key, same kid)
        assert _order_select(c, make_token(aud=SVC, headers={"jku": pinned})).status_code == 401
    with client_for(settings) as c:  # nothing pinned: the sandbox token is refused
        sandbox = make_token(aud=SVC, headers={"jku": pinned}, key=sandbox_keys["ES384"])
        assert _order_select(c, sandbox).status_code == 401


def test_pinned_jku_settings_are_checked(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    cfg.write_text("trusted_issuers:\n  - iss: https://ehr.example.org\n    jwks_file: ehr.json\n    jku:\n"
                   "      - url: https://sandbox.example.org/jwks.json\n        jwks_file: sandbox.json\n")
    s = load_settings({}, cfg)
    assert s.trusted_issuers[0].jku == (PinnedJku(url="https://sandbox.example.org/jwks.json",
                                                  jwks_file=tmp_path / "sandbox.json"),)
    cfg.write_text("trusted_issuers:\n  - iss: https://ehr.example.org\n    jwks_file: ehr.json\n    jku:\n"
                   "      - url: https://sandbox.example.org/jwks.json\n")
    with pytest.raises(ConfigError, match=r"trusted_issuers\[0\]\.jku\[0\]: give exactly one of jwks_file"):
        load_settings({}, cfg)


# ---------------------------------------------------------------------------------------------- SSRF


def _no_prefetch_request(fhir_server: str, pid: str = "ra-71-smoker") -> dict[str, Any]:
    req = hook_request("order-select", load("ra-71-smoker-eu.json"), [draft_order("tofacitinib", pid)], pid=pid)
    del req["prefetch"]
    req["fhirServer"] = fhir_server
    req["fhirAuthorization"] = {"access_token": "secret-access-token", "token_type": "Bearer", "expires_in": 300,
                                "scope": "patient/*.read", "subject": "jakcheck"}
    return req


def _fhir_routes() -> dict[str, Any]:
    pf = prefetch_of(load("ra-71-smoker-eu.json"))
    entries = [e for k, v in pf.items() if k.startswith("observations") for e in v.get("entry", [])]
    every_observation = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    return {"/fhir/Patient/ra-71-smoker": pf["patient"], "/fhir/Condition": pf["conditions"],
            "/fhir/Observation": every_observation, "/fhir/MedicationRequest": pf["medications"],
            "/fhir/Immunization": pf["immunizations"], "/fhir/Procedure": pf["procedures"]}


def test_fetches_missing_prefetch_from_an_allowed_server(settings: Settings, make_token: TokenFactory,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(_fhir_routes()) as fhir:
        with client_for(replace(settings, allowed_fhir_servers=(f"{fhir.base}/fhir",))) as c:
            r = _order_select(c, make_token(aud=SVC), _no_prefetch_request(f"{fhir.base}/fhir/"))
        assert r.status_code == 200
        assert r.json()["cards"][0]["summary"].startswith("Tofacitinib")
        assert "not checked" not in r.json()["cards"][0]["detail"]
        paths = [p for p, _ in fhir.requests]
        assert "/fhir/Patient/ra-71-smoker" in paths and len(paths) == len(prefetch_templates(default_knowledge()))
        assert all(h.get("Authorization") == "Bearer secret-access-token" for _, h in fhir.requests)
        assert any(p.startswith("/fhir/Observation?") and "718-7" in p for p in paths)
    assert "secret-access-token" not in caplog.text


def test_never_fetches_from_a_server_not_on_the_allowlist(settings: Settings, make_token: TokenFactory) -> None:
    with serve(_fhir_routes()) as fhir:
        with client_for(settings) as c:  # empty allowlist
            r = _order_select(c, make_token(aud=SVC), _no_prefetch_request(f"{fhir.base}/fhir"))
        with client_for(replace(settings, allowed_fhir_servers=(f"{fhir.base}/fhir",))) as c:
            # a prefix trick and a different path on the same host are not the allowed base
            for server in (f"{fhir.base}/fhir/../admin", f"{fhir.base}/fhirx", f"{fhir.base}/fhir@evil.example"):
                r2 = _order_select(c, make_token(aud=SVC), _no_prefetch_request(server))
                assert r2.status_code == 200 and "could not check" in r2.json()["cards"][0]["summary"]
            # a patient id that would change the path is refused
            r3 = _order_select(c, make_token(aud=SVC), _no_prefetch_request(f"{fhir.base}/fhir",
                                                                             pid="../../admin"))
        assert fhir.requests == []
    assert r.status_code == 200
    card = r.json()["cards"][0]
    assert card["indicator"] == "info" and "not on this service's allowlist" in card["detail"]
    assert r3.status_code in (200, 400)


def test_does_not_follow_redirects_or_foreign_next_links(settings: Settings, make_token: TokenFactory) -> None:
    routes = _fhir_routes()
    routes["/fhir/Condition"] = {**routes["/fhir/Condition"],
                                 "link": [{"relation": "next", "url": "http://127.0.0.2:9/steal"}]}
    routes["/fhir/Immunization"] = lambda path: (302, {"location": "http://127.0.0.2:9/"})
    with serve(routes) as fhir, client_for(replace(settings, allowed_fhir_servers=(f"{fhir.base}/fhir",))) as c:
        r = _order_select(c, make_token(aud=SVC), _no_prefetch_request(f"{fhir.base}/fhir"))
    assert r.status_code == 200
    assert "Fetching" in r.json()["cards"][0]["detail"] and "HTTP 302" in r.json()["cards"][0]["detail"]


# ---------------------------------------------------------------------------------------------- limits, logs


def test_request_size_limit(settings: Settings, make_token: TokenFactory) -> None:
    with client_for(replace(settings, max_request_bytes=10_000)) as c:
        r = _order_select(c, make_token(aud=SVC))
        assert r.status_code == 413 and r.json()["resourceType"] == "OperationOutcome"
        assert "10000 bytes" in r.json()["issue"][0]["diagnostics"]

        def chunks() -> Any:  # no Content-Length: counted while streaming
            for _ in range(20):
                yield b" " * 1000
        r = c.post("/api/assess", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413


IDENTIFIERS = ("ra-71-smoker", "Example-Smoker", "EX-00", "1955-")


def test_no_patient_identifiers_in_logs(settings: Settings, make_token: TokenFactory,
                                        caplog: pytest.LogCaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    bundle = load("ra-71-smoker-eu.json")
    with client_for(settings) as c:
        assert _order_select(c, make_token(aud=SVC)).status_code == 200
        bad = hook_request("order-select", bundle, [draft_order("tofacitinib", "someone-else")])
        bad["prefetch"]["conditions"]["entry"][0]["resource"]["subject"] = {"reference": "Patient/other-person"}
        assert _order_select(c, make_token(aud=SVC), bad).status_code == 400
        assert c.post("/api/assess", json=bundle).status_code == 200
        assert c.post("/api/assess", json={"resourceType": "Bundle", "entry": [
            {"resource": {"resourceType": "Patient", "id": "ra-71-smoker", "birthDate": "not-a-date"}}]}
        ).status_code in (200, 422)

        def boom(*a: Any, **k: Any) -> Any:
            raise RuntimeError("patient ra-71-smoker Example-Smoker exploded")
        monkeypatch.setattr("jakcheck.service.rest.assess", boom)
        r = c.post("/api/assess", json=bundle)
        assert r.status_code == 500
        cid = r.headers["X-Correlation-Id"]
        assert cid in r.json()["issue"][0]["diagnostics"]
    assert cid in caplog.text and "RuntimeError" in caplog.text
    for ident in IDENTIFIERS:
        assert ident not in caplog.text, ident
    assert "exploded" not in caplog.text


def test_500_on_cds_hooks_is_an_operation_outcome_with_correlation_id(settings: Settings,
                                                                      make_token: TokenFactory,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: Any, **k: Any) -> Any:
        raise ValueError("bug")
    monkeypatch.setattr("jakcheck.service.hooks.assess_order", boom)  # the engine call an order-select makes
    with client_for(settings) as c:
        r = _order_select(c, make_token(aud=SVC))
    assert r.status_code == 500
    oo = r.json()
    assert oo["resourceType"] == "OperationOutcome" and r.headers["X-Correlation-Id"] in oo["issue"][0]["diagnostics"]


def test_cors_only_for_configured_origins(settings: Settings) -> None:
    with client_for(replace(settings, cors_origins=("https://sandbox.test",))) as c:
        ok = c.options("/cds-services", headers={"Origin": "https://sandbox.test",
                                                 "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "authorization"})
        assert ok.headers.get("access-control-allow-origin") == "https://sandbox.test"
        bad = c.options("/cds-services", headers={"Origin": "https://evil.test",
                                                  "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in bad.headers


def test_the_access_log_never_shows_a_report_token() -> None:
    """A report token alone opens a page with the patient's identity: the access log line keeps the path's kind
    and drops the token."""
    import logging

    from jakcheck.service.run import HideReportTokens, hide_report_tokens

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/report/AbC_123-xyz?print=1", "1.1", 200), None)
    assert HideReportTokens().filter(record)
    assert "AbC_123-xyz" not in record.getMessage() and "/report/…?print=1" in record.getMessage()
    hide_report_tokens()
    hide_report_tokens()
    assert sum(isinstance(f, HideReportTokens) for f in logging.getLogger("uvicorn.access").filters) == 1


@pytest.mark.parametrize(("link", "inside"), [
    ("https://ehr.example.org/fhir/Observation?page=2", True),
    ("https://ehr.example.org/fhir/Observation?_getpages=x&q=../y", True),
    ("https://ehr.example.org/fhir/../admin", False),
    ("https://ehr.example.org/fhir/%2e%2e/admin", False),
    ("https://ehr.example.org/fhir/./x", False),
    ("https://ehr.example.org/fhirx/Observation", False),
    ("https://user@ehr.example.org/fhir/Observation", False),
    ("http://ehr.example.org/fhir/Observation", False),
    ("https://ehr.example.org:8443/fhir/Observation", False),
])
def test_a_next_link_is_followed_only_inside_the_allow_listed_server(link: str, inside: bool) -> None:
    """The bearer token goes only to the allow-listed base: a link a client would resolve outside it is refused."""
    from jakcheck.service.fhir_client import within_base

    assert within_base(link, "https://ehr.example.org/fhir") is inside
