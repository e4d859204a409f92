"""Routes: the model list, and the caller's own generations."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Response, status

from videogen.auth.deps import ActiveUser, CurrentUser, SchoolMember, Teacher
from videogen.generations.deps import get_generation_service
from videogen.generations.models import (
    AllowanceOut,
    EstimateOut,
    EstimateRequest,
    GenerationCreate,
    GenerationOut,
    GenerationPage,
    HideRequest,
    JobStatus,
    ModelOut,
)
from videogen.generations.service import GenerationService, estimate, list_models

router = APIRouter(tags=["generations"])
Service = Annotated[GenerationService, Depends(get_generation_service)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=128,
        pattern=r"^[A-Za-z0-9_\-:.]+$",
        description="Same key and body within 24 h returns the first job.",
    ),
]


@router.get("/models", response_model=list[ModelOut], summary="Supported video models")
def models() -> list[ModelOut]:
    return list_models()


@router.post(
    "/generations",
    status_code=status.HTTP_201_CREATED,
    response_model=GenerationOut,
    summary="Ask for a video (reserves its estimated cost against every budget)",
    description="Needs a school (403 `no_school`); the school's allowed models, narrowed "
    "by the role's or the class's (403 `model_not_allowed` naming the model and the "
    "setting); `class_id`, if given, must be a class you are in (422 "
    "`invalid_class`); a budget without room: 429 `budget_exceeded` naming the scope, what "
    "remains and when it resets (nothing reserved).",
    responses={200: {"description": "Idempotent replay: the job first created with this key"}},
)
def create_generation(
    body: GenerationCreate,
    member: SchoolMember,
    service: Service,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> GenerationOut:
    job, created = service.submit(member.id, body, idempotency_key, school_id=member.school_id)
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    return job


@router.get("/generations", response_model=GenerationPage, summary="My generations, newest first")
def list_generations(
    user: CurrentUser,
    service: Service,
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> GenerationPage:
    return service.list(user.id, status_filter, cursor, limit)


@router.post(
    "/generations/estimate",
    response_model=EstimateOut,
    summary="The cost of a generation with these parameters (nothing is created)",
)
def estimate_generation(body: EstimateRequest, _: CurrentUser) -> EstimateOut:
    return estimate(body)


@router.get(
    "/generations/allowance",
    response_model=AllowanceOut,
    summary="What I have left: today's money and videos, the school's month",
    description="Money as decimal strings (USD); null: no limit in that scope. Periods "
    "follow the school's time zone (`resets_at`). The price of a video before submitting: "
    "POST /generations/estimate.",
)
def my_allowance(member: SchoolMember, service: Service) -> AllowanceOut:
    return service.allowance(member.id, member.school_id)


@router.get("/generations/{job_id}", response_model=GenerationOut)
def get_generation(job_id: UUID, user: CurrentUser, service: Service) -> GenerationOut:
    return service.get(user.id, job_id)


@router.post(
    "/generations/{job_id}/cancel",
    response_model=GenerationOut,
    summary="Cancel a generation fal has not started",
    responses={
        202: {
            "description": "Cancellation asked of fal (or waiting for the submission in "
            "flight): `cancel_requested` is true, the status changes once fal confirms"
        }
    },
)
def cancel_generation(
    job_id: UUID, user: ActiveUser, service: Service, response: Response
) -> GenerationOut:
    job, final = service.cancel(user.id, job_id)
    if not final:
        response.status_code = status.HTTP_202_ACCEPTED
    return job


@router.post(
    "/generations/{job_id}/retry",
    status_code=status.HTTP_201_CREATED,
    response_model=GenerationOut,
    summary="A new job from a failed or cancelled one",
)
def retry_generation(job_id: UUID, member: SchoolMember, service: Service) -> GenerationOut:
    return service.retry(member.id, job_id, member.school_id)


@router.post(
    "/generations/{job_id}/hide",
    response_model=GenerationOut,
    summary="Hide a student's video with a reason (their teacher or the school admin)",
    responses={404: {"description": "No such job in your classes or school"}},
)
def hide_generation(
    job_id: UUID, body: HideRequest, member: Teacher, service: Service
) -> GenerationOut:
    return service.hide(member, job_id, body.reason)


@router.post(
    "/generations/{job_id}/unhide",
    response_model=GenerationOut,
    summary="Show a hidden video to its student again",
    responses={404: {"description": "No such job in your classes or school"}},
)
def unhide_generation(job_id: UUID, member: Teacher, service: Service) -> GenerationOut:
    return service.unhide(member, job_id)
