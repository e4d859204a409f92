"""S3 API adapter: Supabase Storage's S3 endpoint, AWS S3 or MinIO, through boto3.

Supabase's endpoint wants path-style addressing and SigV4; presigned GET URLs are computed
locally (no request), so listing many videos costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from videogen.settings import Settings
from videogen.storage.base import StorageUnavailable, StoredObject

if TYPE_CHECKING:
    from pydantic import SecretStr


class S3ObjectStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ) -> None:
        self.bucket = bucket
        self._client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> S3ObjectStore:
        def secret(value: SecretStr | None) -> str | None:
            return value.get_secret_value() if value is not None else None

        return cls(
            settings.storage_bucket,
            endpoint_url=settings.storage_endpoint_url,
            region=settings.storage_region,
            access_key_id=secret(settings.storage_access_key_id),
            secret_access_key=secret(settings.storage_secret_access_key),
        )

    def put_file(self, key: str, path: Path, content_type: str, sha256: str) -> None:
        try:
            self._client.upload_file(
                str(path),
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type, "Metadata": {"sha256": sha256}},
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable() from exc

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable() from exc

    def signed_url(self, key: str, ttl_seconds: int) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl_seconds
        )
        return url

    def list_objects(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> list[StoredObject]:
        found: list[StoredObject] = []
        args: dict[str, str] = {"Bucket": self.bucket, "Prefix": prefix}
        if start_after is not None:
            args["StartAfter"] = start_after
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(**args):
                for item in page.get("Contents", []):
                    found.append(StoredObject(item["Key"], item["LastModified"]))
                    if limit is not None and len(found) >= limit:
                        return found
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable() from exc
        return found
