"""Fetching the prefetch data a CDS client did not send, from the client's FHIR server: allow-listed only.

Server-side request forgery is the risk here: `fhirServer` is a URL the caller chooses. The rules:

* fetch only when `fhirServer` equals (after removing a trailing slash) one of `settings.allowed_fhir_servers`,
  and only with the `fhirAuthorization` bearer token the client gave for it;
* the URLs fetched are the service's own prefetch templates with the patient id filled in; the id must be a
  FHIR id (`[A-Za-z0-9-.]{1,64}`), so nothing in the request can change the path or the host;
* no redirects, no proxies from the environment, a timeout and a byte limit; a search Bundle's `next` page is
  followed only when it lies under the same allow-listed base, for at most MAX_PAGES pages;
* the access token is never logged.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson

from jakcheck.settings import Settings

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
MAX_PAGES = 10


class FetchProblem(Exception):
    """The data could not be fetched; the message is safe to show (no token, no patient data)."""


def normalise_base(url: str) -> str:
    return url.strip().rstrip("/")


def is_allowed(fhir_server: str, settings: Settings) -> bool:
    return normalise_base(fhir_server) in settings.allowed_fhir_servers


def patient_id_of(value: str) -> str | None:
    """The bare id of context.patientId ("123" or "Patient/123"), or None when it is not a FHIR id."""
    pid = value[len("Patient/"):] if value.startswith("Patient/") else value
    return pid if FHIR_ID.match(pid) else None


def fill(template: str, patient_id: str) -> str:
    if not FHIR_ID.match(patient_id):
        raise FetchProblem("context.patientId is not a FHIR id")
    return template.replace("{{context.patientId}}", patient_id)


async def _get_json(client: httpx.AsyncClient, url: str, token: str, max_bytes: int) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    async with client.stream("GET", url, headers=headers) as resp:
        if resp.status_code != 200:
            raise FetchProblem(f"the FHIR server answered HTTP {resp.status_code}")
        size = 0
        chunks = []
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise FetchProblem(f"the FHIR server's answer is larger than {max_bytes} bytes")
            chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        raise FetchProblem("the FHIR server's answer is not JSON") from None


async def fetch(client: httpx.AsyncClient, base: str, token: str, templates: dict[str, str], patient_id: str,
                max_bytes: int) -> dict[str, Any]:
    """Prefetch key -> resource or Bundle, for each template. Raises FetchProblem."""
    base = normalise_base(base)
    out: dict[str, Any] = {}
    budget = max_bytes
    for key, template in templates.items():
        url = f"{base}/{fill(template, patient_id)}"
        try:
            data = await _get_json(client, url, token, budget)
            pages = 1
            bundle = data
            while isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle" and pages < MAX_PAGES:
                nxt = next((link.get("url") for link in bundle.get("link") or []
                            if isinstance(link, dict) and link.get("relation") == "next"), None)
                if not isinstance(nxt, str) or not nxt.startswith(base + "/") or "@" in nxt:
                    break
                bundle = await _get_json(client, nxt, token, budget)
                pages += 1
                if isinstance(bundle, dict) and isinstance(bundle.get("entry"), list):
                    data.setdefault("entry", []).extend(bundle["entry"])
        except httpx.TimeoutException:
            raise FetchProblem("the FHIR server did not answer in time") from None
        except httpx.HTTPError as exc:
            raise FetchProblem(f"the FHIR server could not be reached ({type(exc).__name__})") from None
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            data.pop("link", None)
        out[key] = data
    return out


def new_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.fhir_timeout_seconds, follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_connections=20))
