"""A real S3-compatible server on 127.0.0.1 for the object-storage tests (helpers, not tests):
moto's standalone server, in a process of its own, spoken to over HTTP by boto3 exactly as a
bucket elsewhere would be. Each test gets a fresh bucket; `S3Media.keys()` lists its objects."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from faceapp.media_storage import media_storage
from tests.streams import free_port, wait_port

REGION, ACCESS_KEY, SECRET_KEY = "us-east-1", "faceapp-test", "faceapp-test-secret"
PREFIX = "media"


class S3Server:
    """moto_server on a free port; `problem` says why it could not start (for pytest.skip)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.endpoint, self.problem = "", ""

    def start(self) -> S3Server:
        try:
            import moto.server  # noqa: F401 (moto[server], requirements-dev.txt)
        except ImportError as error:
            self.problem = f"moto[server] is not installed ({error})"
            return self
        port = free_port()
        self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(port, seconds=30, process=self.process)
        except RuntimeError as error:
            self.stop()
            self.problem = f"moto_server did not start: {error}"
            return self
        self.endpoint = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY)

    def bucket(self, local_media: Path) -> S3Media:
        name = f"faceapp-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return S3Media(server=self, bucket=name, local_media=local_media)


@dataclass
class S3Media:
    server: S3Server
    bucket: str
    local_media: Path  # MEDIA_ROOT meanwhile: nothing may be written there

    def env(self) -> dict[str, str]:
        """The FACEAPP_MEDIA_S3_* variables a process (a worker on another machine) is given."""
        return {"FACEAPP_MEDIA_S3_BUCKET": self.bucket, "FACEAPP_MEDIA_S3_ENDPOINT_URL": self.server.endpoint,
                "FACEAPP_MEDIA_S3_ACCESS_KEY_ID": ACCESS_KEY, "FACEAPP_MEDIA_S3_SECRET_ACCESS_KEY": SECRET_KEY,
                "FACEAPP_MEDIA_S3_REGION": REGION, "FACEAPP_MEDIA_S3_PREFIX": PREFIX}

    def storage_settings(self) -> dict:
        """STORAGES["default"] as faceapp/settings.py builds it from env()."""
        env = self.env()
        return media_storage(bucket=env["FACEAPP_MEDIA_S3_BUCKET"], endpoint_url=env["FACEAPP_MEDIA_S3_ENDPOINT_URL"],
                             access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, prefix=PREFIX)

    def keys(self, under: str = "") -> list[str]:
        """The bucket's object names (without the prefix), sorted."""
        pages = self.server.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                              Prefix=f"{PREFIX}/{under}")
        return sorted(item["Key"][len(PREFIX) + 1:] for page in pages for item in page.get("Contents", []))

    def read(self, name: str) -> bytes:
        return self.server.client().get_object(Bucket=self.bucket, Key=f"{PREFIX}/{name}")["Body"].read()

    def acl_grants(self, name: str) -> list[dict]:
        return self.server.client().get_object_acl(Bucket=self.bucket, Key=f"{PREFIX}/{name}")["Grants"]

    def local_files(self) -> list[str]:
        """Whatever is under the local media folder (the assertion: nothing)."""
        root = self.local_media
        return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []

