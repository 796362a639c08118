"""The one frozen settings object: everything a site may change, read once at the entry point.

Sources, later ones winning: the defaults below, an optional YAML file, then JAKCHECK_* environment variables.
Every entry point (CLI, REST, CDS Hooks, web app, the local and Spark screen) loads them once and passes the same
object to the engine. The fields that can change an assessment (`score2_risk_region`, `site_thresholds`) are
summed up by `digest()`, which every assessment carries beside the knowledge version; `region` is the default
region only (each assessment names its region). The service fields (FHIR allowlist, trusted JWT issuers, CORS,
feedback store, limits) are read by `jakcheck.service`.

YAML example::

    region: EU
    score2_risk_region: moderate        # ESC SCORE2 region of the site's country: low | moderate | high | very-high
    site_thresholds:                    # site-adjustable defaults of knowledge/data/thresholds.yaml only
      monitoring-grace-days: 21
    service_base_url: https://cds.example.org
    allowed_fhir_servers: [https://ehr.example.org/fhir]
    trusted_issuers:
      - iss: https://ehr.example.org
        jwks_url: https://ehr.example.org/.well-known/jwks.json   # or jwks_file: /etc/jakcheck/ehr-jwks.json
        tenants: [org-1]                                           # optional tenant allowlist
        jku:                                                       # optional pinned jku values, each with its keys
          - url: https://sandbox.example.org/.well-known/jwks.json
            jwks_file: /etc/jakcheck/sandbox-jwks.json
    cors_origins: [https://sandbox.example.org]
    patient_view_indication: rheumatoid-arthritis   # optional: the one indication a patient-view card covers
    feedback_store: /var/lib/jakcheck/feedback.sqlite3           # or postgresql+psycopg://user@host/db
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar, cast

import yaml

from jakcheck.errors import ConfigError

Region = Literal["US", "EU"]
JWT_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")


@dataclass(frozen=True)
class PinnedJku:
    """A `jku` header value the site allows for an issuer, with the keys it stands for: exactly one of
    `jwks_file` and `jwks_url` (which may be the `url` itself). Keys come only from these settings."""

    url: str
    jwks_file: Path | None = None
    jwks_url: str | None = None


@dataclass(frozen=True)
class TrustedIssuer:
    """An EHR allowed to call the CDS Hooks service: its `iss` claim and where its public keys are.

    Exactly one of `jwks_file` and `jwks_url`. A token's `jku` header, if any, must equal `jwks_url` or one of the
    pinned `jku` values (each with its own JWKS file or URL): keys are never fetched from a URL that a request
    names unless the site pinned it."""

    iss: str
    jwks_file: Path | None = None
    jwks_url: str | None = None
    tenants: tuple[str, ...] = ()
    jku: tuple[PinnedJku, ...] = ()


@dataclass(frozen=True)
class Settings:
    region: Region = "EU"
    max_input_bytes: int = 100 * 1024 * 1024
    # ESC SCORE2 / SCORE2-OP risk region of the site's country (ESC 2021: low, moderate, high, very-high). Default
    # "moderate": the region of the largest share of EU residents (Germany, Italy and others); set it to the
    # site's country. Every SCORE2 result in an assessment names the region used.
    score2_risk_region: str = "moderate"
    # Site values of the thresholds that knowledge/data/thresholds.yaml marks "site-adjustable default" (key,
    # value in the threshold's unit), sorted by key. The engine refuses a key that is not such a threshold.
    site_thresholds: tuple[tuple[str, float], ...] = ()
    # --- service (jakcheck serve) ---
    service_base_url: str = "http://127.0.0.1:8000"  # the public base URL; JWT `aud` is checked against it
    allowed_fhir_servers: tuple[str, ...] = ()  # fhirServer base URLs the service may fetch from
    trusted_issuers: tuple[TrustedIssuer, ...] = ()
    jwt_algorithms: tuple[str, ...] = ("ES384", "RS384")
    jwt_leeway_seconds: int = 60  # clock skew allowed on exp/iat/nbf
    discovery_requires_jwt: bool = True
    cors_origins: tuple[str, ...] = ()
    feedback_store: str = "jakcheck-feedback.sqlite3"  # SQLite file path, or a SQLAlchemy database URL
    insecure_dev: bool = False  # local demos only: no JWT check, FHIR allowlist open to loopback; shown everywhere
    max_request_bytes: int = 5 * 1024 * 1024
    fhir_timeout_seconds: float = 5.0  # per request to the FHIR server
    # The budget for fetching a patient's missing prefetch from the FHIR server (every page of every search): the
    # total time, and a page count per search (a guard against a server that pages forever). Beyond it the card
    # says the record is incomplete. The size budget is max_input_bytes.
    fhir_fetch_seconds: float = 20.0
    fhir_fetch_max_pages: int = 1000
    report_cache_size: int = 1000  # full-report links kept in memory (least recently used dropped)
    report_ttl_seconds: int = 3600
    answer_cache_size: int = 256  # cards kept per worker for calls with the same content (0: off)
    # The indication a patient-view card covers when the patient has several approved-use indications on record
    # (an indication id of the knowledge release, e.g. rheumatoid-arthritis); None: one section for each. The card
    # names the indications it leaves out. Does not change an assessment.
    patient_view_indication: str | None = None

    def assessment_settings(self) -> dict[str, object]:
        """The settings that can change an assessment (besides its region, which every assessment names)."""
        return {"score2_risk_region": self.score2_risk_region, "site_thresholds": dict(self.site_thresholds)}

    def digest(self) -> str:
        """A short digest of `assessment_settings()`, carried by every assessment: equal digests, equal site
        settings."""
        return _digest(self.score2_risk_region, self.site_thresholds)


@functools.lru_cache(maxsize=16)
def _digest(score2_risk_region: str, site_thresholds: tuple[tuple[str, float], ...]) -> str:
    canonical = json.dumps(Settings(score2_risk_region=score2_risk_region,
                                    site_thresholds=site_thresholds).assessment_settings(),
                           sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def parse_region(value: str, where: str) -> Region:
    v = value.strip().upper()
    if v not in ("US", "EU"):
        raise ConfigError(f"{where}: region must be EU or US, not {value!r}")
    return cast(Region, v)


def _int(value: object, name: str) -> int:
    try:
        return int(str(value))
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, not {value!r}") from exc


def _float(value: object, name: str) -> float:
    try:
        return float(str(value))
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, not {value!r}") from exc


N = TypeVar("N", int, float)


def _positive(value: N, name: str) -> N:
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0, not {value!r}")
    return value


def _bool(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    v = str(value).strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _strings(value: object, name: str) -> tuple[str, ...]:
    """A list from YAML, or a comma-separated string from the environment."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value)
    raise ConfigError(f"{name} must be a list of strings, not {value!r}")


SCORE2_RISK_REGIONS = ("low", "moderate", "high", "very-high")


def _risk_region(value: object) -> str:
    v = str(value).strip().lower()
    if v not in SCORE2_RISK_REGIONS:
        raise ConfigError(f"score2_risk_region must be one of {', '.join(SCORE2_RISK_REGIONS)}, not {value!r}")
    return v


def _thresholds(value: object) -> tuple[tuple[str, float], ...]:
    """A mapping of threshold key to number, from YAML or (as YAML/JSON text) from the environment."""
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"site_thresholds: not a YAML/JSON mapping: {exc}") from exc
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError("site_thresholds must be a mapping of threshold key to number")
    out: dict[str, float] = {}
    for key, number in value.items():
        if not isinstance(key, str) or isinstance(number, bool) or not isinstance(number, int | float):
            raise ConfigError(f"site_thresholds: {key!r} must map to a number, not {number!r}")
        out[key] = float(number)
    return tuple(sorted(out.items()))


def _url(value: str, name: str) -> str:
    v = value.strip().rstrip("/")
    if not v.startswith(("https://", "http://")) or "#" in v or "?" in v:
        raise ConfigError(f"{name}: {value!r} is not an absolute http(s) URL without query or fragment")
    return v


def _jwks_source(item: dict[str, object], where: str, base: Path | None) -> tuple[Path | None, str | None]:
    """(jwks_file, jwks_url) of a settings item that must give exactly one of them."""
    file, url = item.get("jwks_file"), item.get("jwks_url")
    if (file is None) == (url is None):
        raise ConfigError(f"{where}: give exactly one of jwks_file and jwks_url")
    path: Path | None = None
    if file is not None:
        path = Path(str(file))
        if not path.is_absolute() and base is not None:
            path = base / path
    return path, _url(str(url), f"{where}.jwks_url") if url is not None else None


def _pinned_jku(value: object, where: str, base: Path | None) -> tuple[PinnedJku, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{where} must be a list of {{url, jwks_file | jwks_url}}")
    out: list[PinnedJku] = []
    for i, item in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ConfigError(f"{at}: needs a 'url' string (the jku header value allowed)")
        unknown = set(item) - {"url", "jwks_file", "jwks_url"}
        if unknown:
            raise ConfigError(f"{at}: unknown field(s) {', '.join(sorted(unknown))}")
        path, url = _jwks_source(item, at, base)
        out.append(PinnedJku(url=_url(item["url"], f"{at}.url"), jwks_file=path, jwks_url=url))
    return tuple(out)


def _issuers(value: object, base: Path | None) -> tuple[TrustedIssuer, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError("trusted_issuers must be a list of {iss, jwks_file | jwks_url, tenants, jku}")
    out: list[TrustedIssuer] = []
    for i, item in enumerate(value):
        where = f"trusted_issuers[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("iss"), str):
            raise ConfigError(f"{where}: needs an 'iss' string")
        unknown = set(item) - {"iss", "jwks_file", "jwks_url", "tenants", "jku"}
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        path, url = _jwks_source(item, where, base)
        out.append(TrustedIssuer(iss=item["iss"], jwks_file=path, jwks_url=url,
                                 tenants=_strings(item.get("tenants", []), f"{where}.tenants"),
                                 jku=_pinned_jku(item.get("jku"), f"{where}.jku", base)))
    return tuple(out)


def load_settings(environ: Mapping[str, str], config_file: Path | None = None) -> Settings:
    """Settings from an optional YAML file, then JAKCHECK_* environment variables (which win)."""
    values: dict[str, object] = {}
    if config_file is not None:
        try:
            raw = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{config_file}: cannot read settings: {exc}") from exc
        if not isinstance(raw, dict):
            raise ConfigError(f"{config_file}: settings must be a mapping")
        values.update(raw)

    def get(name: str, default: object) -> object:
        return environ.get(f"JAKCHECK_{name.upper()}", values.get(name, default))

    d = Settings()
    region = parse_region(str(get("region", d.region)), "region")
    algs = _strings(get("jwt_algorithms", list(d.jwt_algorithms)), "jwt_algorithms")
    bad = [a for a in algs if a not in JWT_ALGORITHMS]
    if bad:
        raise ConfigError(f"jwt_algorithms: {', '.join(bad)} not allowed (asymmetric algorithms only: "
                          f"{', '.join(JWT_ALGORITHMS)})")
    issuers_raw = values.get("trusted_issuers")
    if "JAKCHECK_TRUSTED_ISSUERS" in environ:  # YAML or JSON list in one variable
        try:
            issuers_raw = yaml.safe_load(environ["JAKCHECK_TRUSTED_ISSUERS"])
        except yaml.YAMLError as exc:
            raise ConfigError(f"JAKCHECK_TRUSTED_ISSUERS: not YAML/JSON: {exc}") from exc
    store = str(get("feedback_store", d.feedback_store))
    if config_file is not None and "://" not in store and not Path(store).is_absolute() \
            and "JAKCHECK_FEEDBACK_STORE" not in environ and "feedback_store" in values:
        store = str(config_file.parent / store)
    return Settings(
        region=region,
        max_input_bytes=_int(get("max_input_bytes", d.max_input_bytes), "max_input_bytes"),
        score2_risk_region=_risk_region(get("score2_risk_region", d.score2_risk_region)),
        site_thresholds=_thresholds(get("site_thresholds", None)),
        service_base_url=_url(str(get("service_base_url", d.service_base_url)), "service_base_url"),
        allowed_fhir_servers=tuple(_url(u, "allowed_fhir_servers") for u in
                                   _strings(get("allowed_fhir_servers", []), "allowed_fhir_servers")),
        trusted_issuers=_issuers(issuers_raw, config_file.parent if config_file else None),
        jwt_algorithms=algs,
        jwt_leeway_seconds=_int(get("jwt_leeway_seconds", d.jwt_leeway_seconds), "jwt_leeway_seconds"),
        discovery_requires_jwt=_bool(get("discovery_requires_jwt", d.discovery_requires_jwt),
                                     "discovery_requires_jwt"),
        cors_origins=_strings(get("cors_origins", []), "cors_origins"),
        feedback_store=store,
        insecure_dev=_bool(get("insecure_dev", d.insecure_dev), "insecure_dev"),
        max_request_bytes=_int(get("max_request_bytes", d.max_request_bytes), "max_request_bytes"),
        fhir_timeout_seconds=_float(get("fhir_timeout_seconds", d.fhir_timeout_seconds), "fhir_timeout_seconds"),
        fhir_fetch_seconds=_positive(_float(get("fhir_fetch_seconds", d.fhir_fetch_seconds), "fhir_fetch_seconds"),
                                     "fhir_fetch_seconds"),
        fhir_fetch_max_pages=_positive(_int(get("fhir_fetch_max_pages", d.fhir_fetch_max_pages),
                                            "fhir_fetch_max_pages"), "fhir_fetch_max_pages"),
        report_cache_size=_int(get("report_cache_size", d.report_cache_size), "report_cache_size"),
        report_ttl_seconds=_int(get("report_ttl_seconds", d.report_ttl_seconds), "report_ttl_seconds"),
        answer_cache_size=_int(get("answer_cache_size", d.answer_cache_size), "answer_cache_size"),
        patient_view_indication=str(get("patient_view_indication", "")).strip() or None,
    )
