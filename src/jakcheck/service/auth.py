"""Verifying the EHR's JWT (CDS Hooks 2.0.1 §Trusting CDS Clients).

Every call carries `Authorization: Bearer <JWT>` signed by the CDS client. jakcheck accepts it only when

* the header names an allowed asymmetric algorithm (ES384 and RS384 by default; `none` and every HMAC
  algorithm are refused whatever the settings), a `kid`, and `typ` JWT if it names one;
* `iss` is a trusted issuer, `tenant` (if the issuer lists tenants) is one of them, and a `jku` header, if
  present, is exactly the issuer's configured JWKS URL or one of the `jku` values the site pinned for that
  issuer, each with its own JWKS file or URL (keys are never fetched from a URL a request names);
* the signature verifies with the issuer's key of that `kid` (JWKS from a file or the configured URL, cached
  for JWKS_TTL seconds and refetched at most every JWKS_MIN_REFRESH seconds for an unknown kid);
* `aud` is this endpoint's URL (`{base}/cds-services` for discovery, `{base}/cds-services/{id}` for a service),
  `exp` is in the future and `iat` not, within the configured clock skew; `nbf`, `sub` and other claims
  that EHRs add are accepted;
* `jti` has not been seen from that issuer while the token is valid (in-memory replay cache: with several
  worker processes each keeps its own, so run one worker per replica or put a shared cache behind this).

Any failure is a 401 whose body says only that the token was not accepted; the reason is logged at INFO
without the token.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import orjson

from jakcheck.settings import PinnedJku, Settings, TrustedIssuer

log = logging.getLogger("jakcheck.service.auth")
JWKS_TTL = 300.0
JWKS_MIN_REFRESH = 30.0
FORBIDDEN_ALGS = frozenset({"none", "HS256", "HS384", "HS512"})


class AuthError(Exception):
    """The token is not accepted. The message is for the log, not the client."""


@dataclass
class _Keys:
    keys: dict[str, jwt.PyJWK]
    fetched: float


class ReplayCache:
    """(iss, jti) seen while the token is valid."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def check_and_add(self, iss: str, jti: str, until: float, now: float) -> bool:
        """True when new; False for a replay."""
        with self._lock:
            if now >= self._next_purge:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
                self._next_purge = now + 30
            key = (iss, jti)
            if self._seen.get(key, 0.0) > now:
                return False
            self._seen[key] = until
            return True

    def __len__(self) -> int:
        return len(self._seen)


def _parse_jwks(raw: bytes, where: str) -> dict[str, jwt.PyJWK]:
    try:
        data = orjson.loads(raw)
        keyset = jwt.PyJWKSet.from_dict(data)
    except (orjson.JSONDecodeError, jwt.PyJWKSetError, jwt.InvalidKeyError, TypeError, ValueError) as exc:
        raise AuthError(f"JWKS from {where} is not usable: {type(exc).__name__}") from None
    return {k.key_id: k for k in keyset.keys if k.key_id}


class JwtVerifier:
    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.issuers: dict[str, TrustedIssuer] = {i.iss: i for i in settings.trusted_issuers}
        self.algorithms = [a for a in settings.jwt_algorithms if a not in FORBIDDEN_ALGS]
        self.replay = ReplayCache()
        self._keys: dict[str, _Keys] = {}
        self._client = client

    def _key_source(self, issuer: TrustedIssuer, jku: object) -> tuple[str, PinnedJku | TrustedIssuer]:
        """Where the keys for this token come from: the issuer's own JWKS, or a pinned jku's. AuthError for a jku
        the site did not pin."""
        if jku is None or jku == issuer.jwks_url:
            return issuer.iss, issuer
        pinned = next((p for p in issuer.jku if p.url == jku), None)
        if pinned is None:
            raise AuthError("jku is neither the issuer's configured JWKS URL nor a pinned jku")
        return f"{issuer.iss} {pinned.url}", pinned

    async def _jwks(self, cache_key: str, source: PinnedJku | TrustedIssuer, kid: str, now: float) -> jwt.PyJWK:
        cached = self._keys.get(cache_key)
        fresh = cached is not None and now - cached.fetched < JWKS_TTL
        if cached is not None and kid in cached.keys and fresh:
            return cached.keys[kid]
        if cached is not None and fresh and now - cached.fetched < JWKS_MIN_REFRESH:
            raise AuthError("unknown kid (JWKS refreshed recently)")
        if source.jwks_file is not None:
            try:
                raw = source.jwks_file.read_bytes()
            except OSError as exc:
                raise AuthError(f"cannot read JWKS file: {exc.strerror}") from None
            keys = _parse_jwks(raw, "file")
        else:
            assert source.jwks_url is not None
            if self._client is None:
                raise AuthError("no HTTP client for JWKS URL")
            try:
                resp = await self._client.get(source.jwks_url, headers={"Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise AuthError(f"JWKS URL unreachable: {type(exc).__name__}") from None
            if resp.status_code != 200 or len(resp.content) > 1_000_000:
                raise AuthError(f"JWKS URL answered HTTP {resp.status_code}")
            keys = _parse_jwks(resp.content, "URL")
        self._keys[cache_key] = _Keys(keys, now)
        if kid not in keys:
            raise AuthError("unknown kid")
        return keys[kid]

    async def verify(self, authorization: str | None, audience: list[str], now: float | None = None) -> dict[str, Any]:
        """The verified claims, or AuthError."""
        now = time.time() if now is None else now
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("no bearer token")
        token = authorization[len("Bearer "):].strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthError(f"malformed token: {type(exc).__name__}") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise AuthError(f"algorithm {alg!r} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("no kid")
        if "typ" in header and header["typ"] != "JWT":
            raise AuthError("typ is not JWT")
        iss = unverified.get("iss")
        issuer = self.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthError("issuer not trusted")
        cache_key, source = self._key_source(issuer, header.get("jku"))
        if issuer.tenants and unverified.get("tenant") not in issuer.tenants:
            raise AuthError("tenant not allowed")
        key = await self._jwks(cache_key, source, kid, now)
        leeway = self.settings.jwt_leeway_seconds
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=[alg], audience=audience, issuer=issuer.iss, leeway=leeway,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "verify_iat": True})
        except jwt.PyJWTError as exc:
            raise AuthError(f"token rejected: {type(exc).__name__}") from None
        iat, exp, jti = claims["iat"], claims["exp"], claims["jti"]
        if not isinstance(iat, int | float) or iat > now + leeway:
            raise AuthError("iat in the future")
        if not isinstance(jti, str) or not jti:
            raise AuthError("jti is not a string")
        if not self.replay.check_and_add(issuer.iss, jti, float(exp) + leeway, now):
            raise AuthError("jti replayed")
        return claims
