"""Where media (photos, crops, snapshots, import ZIPs) is stored: FileSystemStorage under
MEDIA_ROOT by default, or with a bucket an S3-compatible object store (django-storages), so
that machines share media without a shared volume. Either way it stays private: objects are
written with the private ACL, no URL of theirs is ever handed out (no presigned querystrings),
and identity/views/media.py checks roles and streams each one through Django."""

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
SPOOL_BYTES = 20 * 1024 * 1024  # an object read past this size spills to a temporary file, not memory


def media_storage(*, bucket: str, endpoint_url: str = "", access_key: str = "", secret_key: str = "",
                  region: str = "", prefix: str = "") -> dict:
    """STORAGES["default"]: the filesystem without a bucket, else the S3 backend on it. Empty keys
    leave boto3 its own credentials chain (AWS_* variables, an instance role)."""
    if not bucket:
        return dict(FILESYSTEM)
    return {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "region_name": region or None,
            "location": prefix.strip("/"),
            "default_acl": "private",
            "querystring_auth": False,  # never a URL that works for whoever holds it
            "file_overwrite": False,  # a new file never replaces another's: the filesystem's rule
            "max_memory_size": SPOOL_BYTES,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }


def is_object_storage(storage) -> bool:
    """Whether a storage keeps its files as objects of a bucket (no local path)."""
    return hasattr(storage, "bucket_name")
