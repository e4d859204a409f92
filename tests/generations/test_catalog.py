"""The model catalogue as fal sees it: endpoints fal serves, school safety pins, prices,
and jobs made with a model fal has since retired."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support.fal import KNOWN_ENDPOINTS, FakeFal
from tests.support.handlers import load_handler
from tests.support.schools import error as error_of
from tests.support.users import User

KLING = "fal-ai/kling-video/v2.1/master/text-to-video"
VEO31, VEO31_FAST, WAN, LTX = (
    "fal-ai/veo3.1",
    "fal-ai/veo3.1/fast",
    "fal-ai/wan-t2v",
    "fal-ai/ltx-video",
)
SAFETY_FIELDS = {"safety_tolerance", "auto_fix", "enable_safety_checker", "enable_prompt_expansion"}


@pytest.fixture
def client(fal: FakeFal) -> TestClient:
    return TestClient(load_handler("generations").app)


def submit(client: TestClient, user: User, model: str, params: dict | None = None):
    body = {"model": model, "prompt": "the water cycle, diagram style", "params": params or {}}
    return client.post("/generations", json=body, headers=user.headers)


def used_today(client: TestClient, user: User) -> int:
    return client.get("/generations/allowance", headers=user.headers).json()["videos_today"]


# What fal receives for each model's safety settings: the strictest values fal's input types
# allow (fal-js endpoints.ts @ 381105e), or nothing where the model has no such setting.
EXPECTED_PINS = {
    LTX: {},
    KLING: {},
    # Veo31Input.safety_tolerance: "1" | ... | "6", "1 is the most strict"
    VEO31: {"safety_tolerance": "1", "auto_fix": False},
    VEO31_FAST: {"safety_tolerance": "1", "auto_fix": False},
    # WanT2vInput.enable_safety_checker / enable_prompt_expansion
    WAN: {"enable_safety_checker": True, "enable_prompt_expansion": False},
}


def test_every_listed_model_is_an_endpoint_fal_serves(client: TestClient) -> None:
    listed = {m["key"] for m in client.get("/models").json()}
    assert listed == set(EXPECTED_PINS)
    assert listed <= KNOWN_ENDPOINTS
    assert "fal-ai/veo3" not in listed


@pytest.mark.parametrize("model", list(EXPECTED_PINS))
def test_fal_receives_the_safety_pins_of_each_model(
    client: TestClient, fal: FakeFal, make_user: Callable[..., User], model: str
) -> None:
    response = submit(client, make_user(), model)
    assert response.status_code == 201, response.text
    (request,) = fal.requests.values()
    assert request.app == model
    sent_safety = {k: v for k, v in request.arguments.items() if k in SAFETY_FIELDS}
    assert sent_safety == EXPECTED_PINS[model]
    # The job shows what the user chose, not the school's pins.
    assert SAFETY_FIELDS.isdisjoint(response.json()["params"])


def test_published_schemas_offer_no_safety_setting_and_fal_s_exact_enums(
    client: TestClient,
) -> None:
    models = {m["key"]: m["parameters"] for m in client.get("/models").json()}
    for schema in models.values():
        assert SAFETY_FIELDS.isdisjoint(schema["properties"])
    for key in (VEO31, VEO31_FAST):
        props = models[key]["properties"]
        assert props["resolution"]["enum"] == ["720p", "1080p", "4k"]
        assert props["duration"]["enum"] == ["4s", "6s", "8s"]
        assert props["aspect_ratio"]["enum"] == ["16:9", "9:16"]
    assert models[WAN]["properties"]["resolution"]["enum"] == ["480p", "580p", "720p"]


@pytest.mark.parametrize(
    ("model", "params", "field"),
    [
        (VEO31, {"safety_tolerance": "6"}, "params.safety_tolerance"),
        (VEO31_FAST, {"duration": "4s", "auto_fix": True}, "params.auto_fix"),
        (WAN, {"enable_safety_checker": False}, "params.enable_safety_checker"),
        (WAN, {"enable_prompt_expansion": True}, "params.enable_prompt_expansion"),
    ],
)
def test_a_client_cannot_loosen_a_pinned_safety_setting(
    client: TestClient,
    fal: FakeFal,
    make_user: Callable[..., User],
    model: str,
    params: dict,
    field: str,
) -> None:
    user = make_user()
    for response in (
        submit(client, user, model, params),
        client.post(
            "/generations/estimate", json={"model": model, "params": params}, headers=user.headers
        ),
    ):
        error = error_of(response, 422)
        assert error["code"] == "validation_error"
        (named,) = error["details"]["fields"]
        assert named["field"] == field
        assert "Fixed by the school" in named["message"]
    assert fal.submits == [] and used_today(client, user) == 0


def test_a_safety_field_a_model_lacks_is_refused_as_unknown(
    client: TestClient, fal: FakeFal, make_user: Callable[..., User]
) -> None:
    error = error_of(submit(client, make_user(), KLING, {"enable_safety_checker": False}), 422)
    assert [f["field"] for f in error["details"]["fields"]] == ["params.enable_safety_checker"]
    assert fal.submits == []


@pytest.mark.parametrize(
    ("model", "params", "usd"),
    [
        # fal-ai/veo3.1: $0.20/s silent, $0.40/s with audio; 4k $0.40/s and $0.60/s.
        (VEO31, {}, 1.60),
        (VEO31, {"duration": "4s", "generate_audio": True, "resolution": "1080p"}, 1.60),
        (VEO31, {"duration": "8s", "generate_audio": True, "resolution": "4k"}, 4.80),
        # Veo 3.1 Fast: $0.10/s silent, $0.15/s with audio; 4k $0.30/s and $0.35/s.
        (VEO31_FAST, {}, 0.80),
        (VEO31_FAST, {"duration": "6s", "generate_audio": True}, 0.90),
        (VEO31_FAST, {"duration": "4s", "resolution": "4k"}, 1.20),
        (VEO31_FAST, {"duration": "4s", "resolution": "4k", "generate_audio": True}, 1.40),
        # Kling 2.1 master: $1.40 for 5 s, $0.28 each further second.
        (KLING, {"duration": "10"}, 2.80),
        # Wan 2.1: per video by resolution, 1.25x beyond the default 81 frames.
        (WAN, {}, 0.20),
        (WAN, {"resolution": "720p", "num_frames": 81}, 0.40),
        (WAN, {"resolution": "720p", "num_frames": 100}, 0.50),
        (LTX, {}, 0.02),
    ],
)
def test_estimates_follow_fal_s_prices(
    client: TestClient, make_user: Callable[..., User], model: str, params: dict, usd: float
) -> None:
    response = client.post(
        "/generations/estimate",
        json={"model": model, "params": params},
        headers=make_user().headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["cost_usd"] == pytest.approx(usd)


def test_an_endpoint_fal_does_not_serve_fails_the_job_and_releases_its_reservation(
    client: TestClient, fal: FakeFal, make_user: Callable[..., User], db
) -> None:
    fal.endpoints = KNOWN_ENDPOINTS - {VEO31_FAST}  # as if fal retired it tomorrow
    user = make_user()
    error = error_of(submit(client, user, VEO31_FAST), 502)
    assert error["code"] == "provider_rejected"
    status, message = db.execute(
        "select status, error from public.jobs where id = %s", (error["details"]["job_id"],)
    ).fetchone()
    assert status == "failed" and "Not Found" in message
    assert fal.submits == [VEO31_FAST] and fal.requests == {}
    assert used_today(client, user) == 0


def _legacy_veo3_job(db, user: User, status: str = "failed") -> str:
    """A job row written before fal dropped `fal-ai/veo3`, as the old catalogue stored it."""
    params = {
        "duration": "4s",
        "aspect_ratio": "16:9",
        "resolution": "720p",
        "generate_audio": False,
    }
    (job_id,) = db.execute(
        """insert into public.jobs (user_id, model, prompt, params, status, cost_estimate_usd,
               error, finished_at)
           values (%s, 'fal-ai/veo3', 'photosynthesis', %s, %s, 0.80, 'Model crashed', now())
           returning id""",
        (user.id, json.dumps(params), status),
    ).fetchone()
    return str(job_id)


def test_jobs_of_a_retired_model_are_still_read(
    client: TestClient, make_user: Callable[..., User], db
) -> None:
    user = make_user()
    job_id = _legacy_veo3_job(db, user)
    page = client.get("/generations", headers=user.headers).json()
    assert [(j["id"], j["model"]) for j in page["items"]] == [(job_id, "fal-ai/veo3")]
    job = client.get(f"/generations/{job_id}", headers=user.headers).json()
    assert job["model"] == "fal-ai/veo3" and job["cost_estimate_usd"] == pytest.approx(0.80)


def test_retrying_a_job_of_a_retired_model_names_the_successor(
    client: TestClient, fal: FakeFal, make_user: Callable[..., User], db
) -> None:
    user = make_user()
    job_id = _legacy_veo3_job(db, user)
    error = error_of(client.post(f"/generations/{job_id}/retry", headers=user.headers), 422)
    assert error["code"] == "model_retired"
    assert error["details"]["successor"] == VEO31
    assert [f["field"] for f in error["details"]["fields"]] == ["model"]
    assert fal.submits == [] and used_today(client, user) == 0
    # The same request with the successor goes through, at the same price.
    retried = submit(client, user, VEO31, {"duration": "4s"})
    assert retried.status_code == 201 and retried.json()["cost_estimate_usd"] == pytest.approx(0.80)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/generations", {"model": "fal-ai/veo3", "prompt": "a comet"}),
        ("/generations/estimate", {"model": "fal-ai/veo3"}),
    ],
)
def test_a_new_request_for_a_retired_model_is_model_retired(
    client: TestClient, fal: FakeFal, make_user: Callable[..., User], path: str, body: dict
) -> None:
    error = error_of(client.post(path, json=body, headers=make_user().headers), 422)
    assert error["code"] == "model_retired" and VEO31 in error["message"]
    assert fal.submits == []
