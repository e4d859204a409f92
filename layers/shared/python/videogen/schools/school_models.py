"""Bodies of the school routes: a school's settings, the operators' list, the activity log.

Each setting is checked here, where the request is read: the time zone against the IANA
database (zoneinfo), the domains as lower-case DNS names, the blocklist's terms trimmed and
deduplicated, the models against the catalogue."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from videogen.generations.catalog import MODELS

MAX_DOMAINS = 20
MAX_TERMS = 200
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("Not an IANA time zone (for example Europe/Berlin or UTC).") from exc
    return value


def _domains(values: list[str]) -> list[str]:
    cleaned: list[str] = []
    for value in values:
        domain = value.strip()
        if domain != domain.lower() or len(domain) > 253 or not _DOMAIN.match(domain):
            raise ValueError(f"{value!r} is not a lower-case domain name such as school.example.")
        if domain not in cleaned:
            cleaned.append(domain)
    return cleaned


def _terms(values: list[str]) -> list[str]:
    """Trimmed; the first spelling of a term kept, later ones in another case dropped."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for value in values:
        term = value.strip()
        if not 1 <= len(term) <= 100:
            raise ValueError("Each term is 1 to 100 characters (after trimming).")
        if term.casefold() not in seen:
            seen.add(term.casefold())
            cleaned.append(term)
    return cleaned


def _models(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    if not values:
        raise ValueError("List at least one model, or send null to allow every model.")
    unknown = [v for v in values if v not in MODELS]
    if unknown:
        raise ValueError(f"Unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}.")
    return list(dict.fromkeys(values))


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TimeZone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_time_zone)]
Domains = Annotated[
    list[Annotated[str, StringConstraints(max_length=253)]],
    Field(max_length=MAX_DOMAINS),
    AfterValidator(_domains),
]
Terms = Annotated[
    list[Annotated[str, StringConstraints(max_length=200)]],
    Field(max_length=MAX_TERMS),
    AfterValidator(_terms),
]
Models = Annotated[
    list[Annotated[str, StringConstraints(max_length=200)]] | None,
    Field(max_length=len(MODELS) * 2 + 10),
    AfterValidator(_models),
]


class SchoolOut(BaseModel):
    id: UUID
    name: str
    time_zone: str
    retention_days: int = Field(description="Days a video is kept.")
    email_domains: list[str] = Field(description="Sign-up from these domains joins the school.")
    blocklist_terms: list[str] = Field(
        description="Prompt terms refused, on top of the built-in list."
    )
    allowed_models: list[str] | None = Field(description="Models its users may use; null: all.")
    created_at: datetime
    updated_at: datetime


class SchoolPage(BaseModel):
    items: list[SchoolOut]


class SchoolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    time_zone: TimeZone = "UTC"


class SchoolUpdate(BaseModel):
    """Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    time_zone: TimeZone | None = None
    retention_days: int | None = Field(None, ge=1, le=3650)
    email_domains: Domains | None = None
    blocklist_terms: Terms | None = None
    allowed_models: Models = None


#: settings that may not be sent as null (allowed_models: null means every model)
NOT_NULL = frozenset({"name", "time_zone", "retention_days", "email_domains", "blocklist_terms"})


class ActivityOut(BaseModel):
    id: int
    school_id: UUID
    actor_id: UUID | None
    actor_email: str = Field(description="Who did it; empty once their account is erased.")
    action: str = Field(examples=["school.update", "class.create", "video.hide"])
    subject_type: str | None
    subject_id: UUID | None
    details: dict[str, Any]
    created_at: datetime


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")
