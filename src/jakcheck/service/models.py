"""CDS Hooks 2.0.1 request and response bodies, transcribed from the spec's logical models.

Source: HL7/cds-hooks v2.0.1 (https://cds-hooks.hl7.org/2.0/) and the logical models
CDSHooksRequest, CDSHooksResponse, CDSHooksServices and CDSHooksFeedback with their invariants (cds-r-1,
cds-resp-1..7, cds-fb-1..3); hook contexts from the Hook Library 1.0 (patient-view, order-select, order-sign,
invariant ord-1). Spec rules kept here:

* No element may be null or empty (`null`, `""`, `[]`, `{}`); optional elements without a value are omitted.
  The one exception is `{"cards": []}` ("no guidance").
* Card summary: one sentence, fewer than 140 characters.
* Override reasons are Codings with a display; suggestions imply selectionBehavior; a delete action names a
  resourceId; appContext only on smart links; every action has a description.

The models the service *sends* forbid unknown members, so a typo fails the tests; the models it *receives*
allow them (3.0 clients add `version`, SMART v2 scopes, ...).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
_REF = re.compile(r"^[\d\w]+/[\d\w\-.]+$")  # ord-1


def empty_paths(obj: object, path: str = "$") -> list[str]:
    """Where a JSON value holds null or an empty string, list or object (spec §"JSON": not allowed)."""
    if obj is None or obj == "" or obj == [] or obj == {}:
        return [path]
    out: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(empty_paths(v, f"{path}.{k}"))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.extend(empty_paths(v, f"{path}[{i}]"))
    return out


class Sent(BaseModel):
    """A body the service sends: strict, and no nulls or empties anywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    may_be_empty: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_empty(cls, data: Any) -> Any:
        if isinstance(data, dict):
            bad = [p for k, v in data.items() if not (k in cls.may_be_empty and v == [])
                   for p in empty_paths(v, k)]
            if bad:
                raise ValueError(f"null or empty element(s) not allowed: {', '.join(bad)}")
        return data


class Received(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


Extension = dict[str, Any]

# ---------------------------------------------------------------------------------------------- discovery


class CDSService(Sent):
    hook: NonEmpty
    title: NonEmpty | None = None
    description: NonEmpty
    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._~-]+$")]
    prefetch: dict[str, NonEmpty] | None = None
    usageRequirements: NonEmpty | None = None
    extension: Extension | None = None


class CDSServices(Sent):
    may_be_empty = frozenset({"services"})  # a server with no services answers {"services": []}
    services: list[CDSService]


# ---------------------------------------------------------------------------------------------- request


class FhirAuthorization(Received):
    access_token: NonEmpty
    token_type: Literal["Bearer"]
    expires_in: int
    scope: NonEmpty
    subject: NonEmpty
    patient: NonEmpty | None = None


class CDSHooksRequest(Received):
    hook: NonEmpty
    hookInstance: NonEmpty
    fhirServer: NonEmpty | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: Extension | None = None

    @model_validator(mode="after")
    def _r1(self) -> CDSHooksRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization requires fhirServer (cds-r-1)")
        return self


class PatientViewContext(Received):
    userId: NonEmpty
    patientId: NonEmpty
    encounterId: NonEmpty | None = None


class OrderSignContext(PatientViewContext):
    draftOrders: dict[str, Any]

    @field_validator("draftOrders")
    @classmethod
    def _bundle(cls, v: dict[str, Any]) -> dict[str, Any]:
        if v.get("resourceType") != "Bundle":
            raise ValueError("draftOrders must be a FHIR Bundle")
        return v

    @field_validator("userId")
    @classmethod
    def _ord1_user(cls, v: str) -> str:
        if not _REF.match(v):
            raise ValueError("userId must be a relative reference Type/id (ord-1)")
        return v


class OrderSelectContext(OrderSignContext):
    selections: list[NonEmpty] = Field(min_length=1)

    @field_validator("selections")
    @classmethod
    def _ord1_sel(cls, v: list[str]) -> list[str]:
        bad = [s for s in v if not _REF.match(s)]
        if bad:
            raise ValueError(f"selections must be relative references Type/id (ord-1): {bad}")
        return v


HOOK_CONTEXTS: dict[str, type[PatientViewContext]] = {
    "patient-view": PatientViewContext,
    "order-select": OrderSelectContext,
    "order-sign": OrderSignContext,
}

# ---------------------------------------------------------------------------------------------- response


class Coding(Sent):
    code: NonEmpty
    system: NonEmpty
    display: NonEmpty | None = None


class OverrideReason(Coding):
    display: NonEmpty  # cds-resp-4: override reasons need a display


class Source(Sent):
    label: NonEmpty
    url: NonEmpty | None = None
    icon: NonEmpty | None = None
    topic: Coding | None = None


class Action(Sent):
    type: Literal["create", "update", "delete"]
    description: NonEmpty  # cds-resp-5
    resource: dict[str, Any] | None = None
    resourceId: NonEmpty | None = None

    @model_validator(mode="after")
    def _resp2(self) -> Action:
        if self.type == "delete" and self.resourceId is None:
            raise ValueError("a delete action names the resourceId (cds-resp-2)")
        if self.type in ("create", "update") and self.resource is None:
            raise ValueError("a create/update action carries the resource")
        if self.resource is not None and not isinstance(self.resource.get("resourceType"), str):
            raise ValueError("action resource must be a FHIR resource")
        return self


class Suggestion(Sent):
    label: NonEmpty
    uuid: NonEmpty | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = Field(default=None, min_length=1)


class Link(Sent):
    label: NonEmpty
    url: NonEmpty
    type: Literal["absolute", "smart"]
    appContext: NonEmpty | None = None
    autolaunchable: bool | None = None

    @model_validator(mode="after")
    def _resp3(self) -> Link:
        if self.appContext is not None and self.type != "smart":
            raise ValueError("appContext only on smart links (cds-resp-3)")
        return self


class Card(Sent):
    uuid: NonEmpty | None = None
    summary: Annotated[str, StringConstraints(min_length=1, max_length=139)]
    detail: NonEmpty | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = Field(default=None, min_length=1)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[OverrideReason] | None = Field(default=None, min_length=1)
    links: list[Link] | None = Field(default=None, min_length=1)
    extension: Extension | None = None

    @model_validator(mode="after")
    def _resp6(self) -> Card:
        if self.suggestions is not None and self.selectionBehavior is None:
            raise ValueError("suggestions require selectionBehavior (cds-resp-6)")
        return self


class CDSHooksResponse(Sent):
    may_be_empty = frozenset({"cards"})  # "no guidance" is {"cards": []}
    cards: list[Card]
    systemActions: list[Action] | None = Field(default=None, min_length=1)
    extension: Extension | None = None


# ---------------------------------------------------------------------------------------------- feedback


class AcceptedSuggestion(Received):
    id: NonEmpty


class OverrideReasonFeedback(Received):
    reason: Coding | None = None
    userComment: NonEmpty | None = None

    @model_validator(mode="after")
    def _fb3(self) -> OverrideReasonFeedback:
        if self.reason is None and self.userComment is None:
            raise ValueError("an override reason needs a reason or a userComment (cds-fb-3)")
        return self


class FeedbackItem(Received):
    card: NonEmpty
    outcome: Literal["accepted", "overridden"]  # cds-fb-1
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReasonFeedback | None = None
    outcomeTimestamp: NonEmpty

    @model_validator(mode="after")
    def _fb2(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("an accepted card lists acceptedSuggestions (cds-fb-2)")
        try:
            when = datetime.fromisoformat(self.outcomeTimestamp)
        except ValueError:
            raise ValueError("outcomeTimestamp is not an RFC 3339 date-time") from None
        if when.tzinfo is None:
            raise ValueError("outcomeTimestamp needs a time zone (RFC 3339, UTC)")
        return self


class Feedback(Received):
    feedback: list[FeedbackItem] = Field(min_length=1)
