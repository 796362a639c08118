"""Service test fixtures: signing keys and a JWKS file, settings, the app and a client, a token factory."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi.testclient import TestClient

from jakcheck.service.app import create_app
from jakcheck.settings import Settings, TrustedIssuer

AS_OF = date(2026, 11, 26)
BASE = "https://jakcheck.test"
ISS = "https://ehr.test/fhir"


@pytest.fixture(scope="session")
def keys() -> dict[str, Any]:
    return {"ES384": ec.generate_private_key(ec.SECP384R1()),
            "RS384": rsa.generate_private_key(public_exponent=65537, key_size=2048)}


def jwks_of(keys: dict[str, Any]) -> dict[str, Any]:
    out = []
    for alg, k in keys.items():
        jwk = orjson.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(k.public_key()))
        jwk.update({"kid": f"kid-{alg}", "alg": alg, "use": "sig"})
        out.append(jwk)
    return {"keys": out}


@pytest.fixture(scope="session")
def jwks_file(keys: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("jwks") / "ehr-jwks.json"
    p.write_bytes(orjson.dumps(jwks_of(keys)))
    return p


@pytest.fixture
def settings(jwks_file: Path, tmp_path: Path) -> Settings:
    return Settings(region="EU", service_base_url=BASE,
                    trusted_issuers=(TrustedIssuer(iss=ISS, jwks_file=jwks_file),),
                    feedback_store=str(tmp_path / "feedback.sqlite3"))


TokenFactory = Callable[..., str]


@pytest.fixture
def make_token(keys: dict[str, Any]) -> TokenFactory:
    def make(aud: str | list[str] = f"{BASE}/cds-services", alg: str = "ES384", iss: str = ISS,
             kid: str | None = None, lifetime: int = 300, iat_offset: int = 0, jti: str | None = None,
             headers: dict[str, Any] | None = None, drop: tuple[str, ...] = (), key: Any = None,
             **claims: Any) -> str:
        now = int(time.time()) + iat_offset
        payload: dict[str, Any] = {"iss": iss, "aud": aud, "exp": now + lifetime, "iat": now,
                                   "jti": jti or str(uuid.uuid4()), "sub": "ehr-client", "nbf": now - 300}
        payload.update(claims)
        for d in drop:
            payload.pop(d, None)
        hdr = {"kid": kid or f"kid-{alg}", "typ": "JWT", **(headers or {})}
        signing_key = key if key is not None else keys.get(alg)
        return jwt.encode(payload, signing_key, algorithm=alg, headers=hdr)

    return make


def client_for(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, today=lambda: AS_OF), raise_server_exceptions=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with client_for(settings) as c:
        yield c


@pytest.fixture
def dev_client(settings: Settings) -> Iterator[TestClient]:
    with client_for(replace(settings, insecure_dev=True)) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
