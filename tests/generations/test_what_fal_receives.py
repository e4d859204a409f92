"""Nothing about a student leaves for fal but the prompt and the model's parameters: no
name, email, user, school or class id in the submit's body, headers or URL. The webhook URL
carries the job's id and its HMAC token only (job-scoped, docs/security.md)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.support.fal import FakeFal, webhook_query
from tests.support.handlers import load_handler
from tests.support.schools import make_class, make_school


def test_the_submit_carries_nothing_about_the_student(fal: FakeFal, make_user, db) -> None:
    client = TestClient(load_handler("generations").app)
    student = make_user(email="pupil.name@school.example")
    db.execute(
        "update public.profiles set display_name = 'Pupil Surname' where id = %s", (student.id,)
    )
    school = make_school(db, "Springfield Elementary")
    class_id = make_class(db, school, "Class 5 Owls", students=(student,))
    response = client.post(
        "/generations",
        json={"model": "fal-ai/wan-t2v", "prompt": "a cat", "params": {"seed": 7}},
        headers=student.headers,
    )
    assert response.status_code == 201, response.text
    job_id = response.json()["id"]

    (request,) = fal.requests.values()
    assert set(request.arguments) == {
        "prompt",
        "seed",
        "num_frames",
        "frames_per_second",
        "resolution",
        "aspect_ratio",
        "enable_safety_checker",
        "enable_prompt_expansion",
    }
    sent = json.dumps([request.arguments, request.headers, request.path]).lower()
    for secret in (
        str(student.id),
        str(school),
        str(class_id),
        "pupil",
        "surname",
        "school.example",
        "springfield",
        "owls",
        student.token.lower(),
    ):
        assert secret not in sent, secret
    assert request.authorization == "Key fal-test-key"
    # The one identifier fal holds: the job's, in the webhook URL, with its job-scoped token.
    assert request.webhook_url.endswith("/webhooks/fal?" + webhook_query(job_id))
