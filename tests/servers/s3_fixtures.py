"""pytest fixtures for S3 tests: real servers in their own processes, fresh buckets per test.

Register with ``-p tests.servers.s3_fixtures`` (or from conftest).  Servers are
session-scoped (one per xdist worker), buckets function-scoped with unique names, and the
fake credentials are set in the environment by the bucket fixtures only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.servers.s3 import FaultProxy, ServerProcess

#: Distinctive fake credentials: tests assert these never reach an object or a log line.
FAKE_ACCESS_KEY_ID = "AKIAFAKENEWSARCHIVE7Q"
FAKE_SECRET_ACCESS_KEY = "fAkE/SeCrEt+nEwSaRcHiVe/9d8c7b6a5f4e3d2c1b0a"
FAKE_SESSION_TOKEN = "FaKeSeSsIoNtOkEn-nEwSaRcHiVe-31415926535897"
FAKE_CREDENTIALS = (FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, FAKE_SESSION_TOKEN)


@dataclass
class Bucket:
    """A fresh bucket on one server: ``uri`` for the archive, ``client`` for assertions."""

    name: str
    endpoint_url: str
    client: Any
    server: str

    @property
    def uri(self) -> str:
        return f"s3://{self.name}"

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def get(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.name, Key=key)["Body"].read()
        return data

    def put(self, key: str, data: bytes, **kwargs: Any) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data, **kwargs)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[ServerProcess]:
    server = ServerProcess("moto").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def minimal_s3_server() -> Iterator[ServerProcess]:
    server = ServerProcess("minimal").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def opaque_etag_s3_server() -> Iterator[ServerProcess]:
    """The minimal server with ETags that are not MD5s (as under SSE-KMS)."""
    server = ServerProcess("minimal", "--etag", "opaque").start()
    yield server
    server.stop()


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fake credentials in the environment, and nothing from the user's own AWS setup."""
    empty = tmp_path_factory.mktemp("aws") / "none"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                 "AWS_CA_BUNDLE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", FAKE_SESSION_TOKEN)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


_CLIENTS: dict[str, Any] = {}


def _client(endpoint_url: str) -> Any:
    """The test's own client for a server (made once: clients are slow to build)."""
    if endpoint_url not in _CLIENTS:
        import boto3
        from botocore.config import Config

        _CLIENTS[endpoint_url] = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name="us-east-1",
            aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1},
                          request_checksum_calculation="when_required",
                          response_checksum_validation="when_required"))
    return _CLIENTS[endpoint_url]


def _new_bucket(server: ServerProcess, kind: str, **create: Any) -> Bucket:
    name = f"t-{uuid.uuid4().hex[:20]}"
    client = _client(server.url)
    client.create_bucket(Bucket=name, **create)
    return Bucket(name, server.url, client, kind)


@pytest.fixture
def moto_bucket(moto_server: ServerProcess, fake_aws_env: None) -> Bucket:
    return _new_bucket(moto_server, "moto")


@pytest.fixture
def minimal_bucket(minimal_s3_server: ServerProcess, fake_aws_env: None) -> Bucket:
    return _new_bucket(minimal_s3_server, "minimal")


@pytest.fixture
def opaque_etag_bucket(opaque_etag_s3_server: ServerProcess, fake_aws_env: None) -> Bucket:
    return _new_bucket(opaque_etag_s3_server, "opaque")


@pytest.fixture
def locked_bucket(moto_server: ServerProcess, fake_aws_env: None) -> Bucket:
    """Versioning and Object Lock on: nothing may rely on overwrite or delete."""
    return _new_bucket(moto_server, "moto-locked", ObjectLockEnabledForBucket=True)


@pytest.fixture(params=["moto", "minimal"])
def any_bucket(request: pytest.FixtureRequest, fake_aws_env: None) -> Bucket:
    """Each test runs against moto and against the minimal checksum-less server."""
    server_fixture = {"moto": "moto_server", "minimal": "minimal_s3_server"}[request.param]
    return _new_bucket(request.getfixturevalue(server_fixture), request.param)


@pytest.fixture
def fault_proxy(moto_server: ServerProcess) -> Iterator[FaultProxy]:
    """A fresh switchable proxy in front of moto (``proxy.url`` is the endpoint to use)."""
    proxy = FaultProxy(moto_server.url)
    yield proxy
    proxy.close()
