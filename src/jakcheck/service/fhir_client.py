"""Fetching the prefetch data a CDS client did not send, from the client's FHIR server: allow-listed only.

Server-side request forgery is the risk here: `fhirServer` is a URL the caller chooses. The rules:

* fetch only when `fhirServer` equals (after removing a trailing slash) one of `settings.allowed_fhir_servers`,
  and only with the `fhirAuthorization` bearer token the client gave for it;
* the URLs fetched are the service's own prefetch templates with the patient id filled in; the id must be a
  FHIR id (`[A-Za-z0-9-.]{1,64}`), so nothing in the request can change the path or the host;
* no redirects, no proxies from the environment, a timeout per request; a search Bundle's `next` page is
  followed only when it lies under the same allow-listed base;
* every page of a search is followed, within one budget per call: a total size (`max_bytes`), a total time
  (`fhir_fetch_seconds`) and a page count (`fhir_fetch_max_pages`, a guard against servers that page forever);
* a query that fails (HTTP 403, 404, a timeout, a broken answer) or is cut off by the budget does not fail the
  others: what came back is kept, and the part that is missing or partial is named (`Gap`), so the record is
  read as incomplete, never as if the patient had no such data;
* the access token is never logged.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from jakcheck.settings import Settings

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class FetchProblem(Exception):
    """The data could not be fetched; the message is safe to show (no token, no patient data)."""


@dataclass(frozen=True)
class Gap:
    """A prefetch key whose data did not arrive, or arrived only in part; `reason` is safe to show."""

    key: str
    reason: str
    partial: bool = False


@dataclass
class Fetched:
    data: dict[str, Any] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class _Budget:
    bytes_left: int
    deadline: float
    max_pages: int

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()


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


async def _get_json(client: httpx.AsyncClient, url: str, token: str, budget: _Budget) -> Any:
    """One GET within the budget: the bytes read are taken from it. Raises FetchProblem."""
    if budget.seconds_left() <= 0:
        raise FetchProblem("the fetch time budget was used up")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    timeout = httpx.Timeout(min(client.timeout.read or budget.seconds_left(), budget.seconds_left()))
    async with client.stream("GET", url, headers=headers, timeout=timeout) as resp:
        if resp.status_code != 200:
            raise FetchProblem(f"the FHIR server answered HTTP {resp.status_code}")
        chunks = []
        async for chunk in resp.aiter_bytes():
            budget.bytes_left -= len(chunk)
            if budget.bytes_left < 0:
                raise FetchProblem("the answers are larger than the fetch size budget")
            # A server that trickles its answer keeps every read inside the socket timeout: the time budget is
            # checked as the body arrives, not only before the request.
            if budget.seconds_left() <= 0:
                raise FetchProblem("the fetch time budget was used up while an answer was arriving")
            chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError:
        raise FetchProblem("the FHIR server's answer is not JSON") from None


def within_base(url: str, base: str) -> bool:
    """Whether `url` lies under the allow-listed server `base`: same scheme, host and port, no user info, a path
    below the base path, and no dot segments (plain or percent-encoded), which a client resolves to a path that
    may lie outside it."""
    if not url.startswith(base + "/") or "@" in url:
        return False
    try:
        u, b = httpx.URL(url), httpx.URL(base + "/")
    except (httpx.InvalidURL, ValueError):
        return False
    written = url[len(base):].split("?", 1)[0].split("#", 1)[0].split("/")
    dots = any(seg.lower().replace("%2e", ".") in (".", "..") for seg in written)
    return (not dots and (u.scheme, u.host, u.port) == (b.scheme, b.host, b.port)
            and u.raw_path.startswith(b.raw_path))


def _next_link(bundle: Any) -> str | None:
    if not isinstance(bundle, dict):
        return None
    nxt = next((link.get("url") for link in bundle.get("link") or []
                if isinstance(link, dict) and link.get("relation") == "next"), None)
    return nxt if isinstance(nxt, str) else None


async def _search(client: httpx.AsyncClient, base: str, url: str, token: str, budget: _Budget
                  ) -> tuple[Any, tuple[str, bool] | None]:
    """The answer to one prefetch query with every page of a search Bundle gathered into the first, and what
    stopped it early as (reason, partial), or None when it is complete."""
    try:
        data = await _get_json(client, url, token, budget)
    except httpx.TimeoutException:
        return None, ("the FHIR server did not answer in time", False)
    except httpx.HTTPError as exc:
        return None, (f"the FHIR server could not be reached ({type(exc).__name__})", False)
    except FetchProblem as exc:
        return None, (str(exc), False)
    pages = 1
    seen = {url}
    bundle = data
    while (nxt := _next_link(bundle)) is not None:
        if not within_base(nxt, base):
            return data, ("a next page lies outside the allow-listed FHIR server and was not read", True)
        if nxt in seen:
            return data, ("the FHIR server's next page repeats an earlier page", True)
        if pages >= budget.max_pages:
            return data, (f"only the first {pages} pages were read (fetch page budget)", True)
        seen.add(nxt)
        try:
            bundle = await _get_json(client, nxt, token, budget)
        except httpx.TimeoutException:
            return data, (f"page {pages + 1} did not arrive in time; {pages} pages read", True)
        except httpx.HTTPError as exc:
            return data, (f"page {pages + 1} could not be fetched ({type(exc).__name__}); {pages} pages read",
                          True)
        except FetchProblem as exc:
            return data, (f"page {pages + 1}: {exc}; {pages} pages read", True)
        pages += 1
        if not (isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle"):
            return data, (f"page {pages} was not a search Bundle; {pages - 1} pages read", True)
        if isinstance(bundle.get("entry"), list) and isinstance(data, dict):
            data.setdefault("entry", []).extend(bundle["entry"])
    return data, None


async def fetch(client: httpx.AsyncClient, base: str, token: str, templates: dict[str, str], patient_id: str,
                max_bytes: int, *, seconds: float = 20.0, max_pages: int = 1000) -> Fetched:
    """Prefetch key -> resource or Bundle for each template, every page of a search followed within the budget
    (`max_bytes` in all, `seconds` in all, `max_pages` per search). A query that fails or is cut off is named in
    `gaps` and the rest is kept. Raises FetchProblem only for a patient id that is not a FHIR id."""
    base = normalise_base(base)
    out = Fetched()
    budget = _Budget(bytes_left=max_bytes, deadline=time.monotonic() + seconds, max_pages=max_pages)
    for key, template in templates.items():
        url = f"{base}/{fill(template, patient_id)}"
        data, problem = await _search(client, base, url, token, budget)
        if problem is not None:
            out.gaps.append(Gap(key, *problem))
        if data is None:
            continue
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            data.pop("link", None)
        out.data[key] = data
    return out


def new_client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.fhir_timeout_seconds, follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_connections=20))
