"""The documents' bytes in object storage: S3 through boto3, or the local endpoint moto serves (the
same one as SES in `relance up` and the tests). Objects are named by relance, never by a tenant."""

from __future__ import annotations

import asyncio
import functools
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from relance.config import Settings


class DocumentGone(LookupError):
    """The object is not in storage any more (deleted by hand, or a local endpoint that restarted)."""


@functools.lru_cache(maxsize=8)
def _s3_client(region: str, local_endpoint: str | None):
    """One client per endpoint and process, shared by every store: boto3's clients are thread-safe, and
    making one costs 10-40 ms of CPU, which each document request and each worker's start (three stores)
    paid again."""
    kwargs: dict = {"region_name": region}
    if local_endpoint:
        # A local endpoint accepts any credentials; never let it pick up real ones. Path-style: the bucket
        # is not a host name on 127.0.0.1.
        kwargs.update(endpoint_url=local_endpoint, aws_access_key_id="local", aws_secret_access_key="local",
                      config=Config(s3={"addressing_style": "path"}))
    return boto3.client("s3", **kwargs)


class DocumentStore:
    def __init__(self, settings: Settings):
        self.local = bool(settings.storage_endpoint)
        self._client = _s3_client(settings.aws_region, settings.storage_endpoint or None)
        self.bucket = settings.documents_bucket
        self._region = settings.aws_region

    async def _call(self, method, **kwargs):
        return await asyncio.to_thread(functools.partial(method, **kwargs))

    async def ensure_bucket(self) -> None:
        """Create the bucket on a local endpoint (at start, and again after the endpoint forgot it);
        in production the operator creates it (README, "Documents")."""
        try:
            await self._call(self._client.head_bucket, Bucket=self.bucket)
        except ClientError:
            await self._call(self._client.create_bucket, Bucket=self.bucket,
                             CreateBucketConfiguration={"LocationConstraint": self._region})

    async def put(self, org_slug: str, data: bytes, content_type: str) -> str:
        """Keep the bytes; returns the object's key."""
        key = f"{org_slug}/{uuid.uuid4().hex}"
        put = functools.partial(self._call, self._client.put_object, Bucket=self.bucket, Key=key, Body=data,
                                ContentType=content_type)
        try:
            await put()
        except ClientError as exc:
            if not (self.local and exc.response.get("Error", {}).get("Code") == "NoSuchBucket"):
                raise
            await self.ensure_bucket()
            await put()
        return key

    async def get(self, key: str) -> bytes:
        try:
            answer = await self._call(self._client.get_object, Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket"):
                raise DocumentGone(key) from exc
            raise
        return await asyncio.to_thread(answer["Body"].read)

    async def delete(self, key: str) -> None:
        await self._call(self._client.delete_object, Bucket=self.bucket, Key=key)
