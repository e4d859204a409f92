"""Issue 13, "Erasure": the orphan sweep removes stored videos that no `files` row names,
once they are older than the grace period, looking at a bounded number of keys (real S3
server, real Postgres)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.support.copies import run_copy_worker
from tests.support.fal import FakeFal
from tests.support.handlers import load_handler
from videogen.db import get_database
from videogen.storage.base import VIDEOS_PREFIX, video_key
from videogen.storage.deps import get_object_store
from videogen.storage.sweep import sweep_orphans

BUCKET = "videos"
LATER = datetime.now(UTC) + timedelta(hours=2)  # every object is then 2 hours old


def _keys(s3) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _orphan(s3) -> str:  # type: ignore[no-untyped-def]
    key = video_key(uuid.uuid4(), uuid.uuid4())
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"\x00\x00\x00\x18ftypmp42")
    return key


def _sweep(**overrides: object) -> int:
    args: dict[str, object] = {
        "older_than": timedelta(hours=1),
        "max_keys": 100,
        "start_after": VIDEOS_PREFIX,
        "now": LATER,
    }
    args.update(overrides)
    return sweep_orphans(get_database(), get_object_store(), **args)  # type: ignore[arg-type]


def test_orphan_video_with_no_files_row_is_swept(s3, fal: FakeFal, make_user) -> None:
    generations = TestClient(load_handler("generations").app)
    webhooks = TestClient(load_handler("webhooks").app)
    user = make_user()
    generations.post(
        "/generations", json={"model": "fal-ai/ltx-video", "prompt": "tides"}, headers=user.headers
    )
    request_id = next(iter(fal.requests))
    body, headers = fal.delivery(request_id)
    webhooks.post(fal.webhook_path(request_id), content=body, headers=headers)
    run_copy_worker()
    (stored,) = _keys(s3)  # a video its files row names
    orphan = _orphan(s3)
    assert _sweep(now=datetime.now(UTC)) == 0  # too young: a copy may be between its phases
    assert _keys(s3) == sorted([stored, orphan])
    assert _sweep() == 1
    assert _keys(s3) == [stored]


def test_orphan_sweep_is_bounded_and_wraps_around(s3) -> None:
    orphans = sorted(_orphan(s3) for _ in range(3))
    assert _sweep(max_keys=2) == 2  # from the first key: the first two
    assert _keys(s3) == orphans[2:]
    # From past the last key, it wraps to the beginning.
    _orphan(s3)
    assert _sweep(max_keys=5, start_after=f"{VIDEOS_PREFIX}~") == 2
    assert _keys(s3) == []


def test_object_store_lists_a_prefix_after_a_key(s3) -> None:
    keys = sorted(_orphan(s3) for _ in range(3))
    store = get_object_store()
    assert [o.key for o in store.list_objects(VIDEOS_PREFIX)] == keys
    assert [o.key for o in store.list_objects(VIDEOS_PREFIX, start_after=keys[0])] == keys[1:]
    assert [o.key for o in store.list_objects(VIDEOS_PREFIX, limit=1)] == keys[:1]
    assert store.list_objects("videos/nobody/") == []


def test_copy_batch_sweep_keeps_young_objects_and_survives_storage_down(s3, configure) -> None:
    """What runs after each copy batch (Lambda and the local consumer): the grace period
    from settings protects a copy between its phases; storage down is logged, not raised."""
    from videogen.copies.deps import sweep_orphan_videos

    orphan = _orphan(s3)
    configure(ORPHAN_SWEEP_AFTER_SECONDS="60", ORPHAN_SWEEP_MAX_KEYS="10")
    assert sweep_orphan_videos() == 0
    assert _keys(s3) == [orphan]
    configure(
        STORAGE_ENDPOINT_URL="http://127.0.0.1:9",
        STORAGE_ACCESS_KEY_ID="a",
        STORAGE_SECRET_ACCESS_KEY="b",
    )
    assert sweep_orphan_videos() == 0
