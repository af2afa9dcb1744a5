"""Requests and reply of the catalog's download links (`lb.rpc.catalog.*_download_link`): every
backup file a client downloads is named by the catalog, which checks it and signs (or has S3
presign) the URL; the gateway only serves the bytes a signed URL names."""

from datetime import datetime
from typing import Annotated

import msgspec

from contracts.backups import BlobName
from contracts.rpc import Request

ExpirySeconds = Annotated[int, msgspec.Meta(ge=0)]


class BackupDownloadLink(Request, frozen=True, kw_only=True):
    """`POST /backups/{id}/download`: a link to a completed backup's artifact."""

    backup_id: int
    expires_seconds: ExpirySeconds


class FileDownloadLink(Request, frozen=True, kw_only=True):
    """`GET /backups/download`: a link to an artifact in a destination, by key."""

    key: BlobName
    expires_seconds: ExpirySeconds
    destination: str = "default"


class DownloadUrl(msgspec.Struct, frozen=True, kw_only=True):
    """A URL that fetches `key` until `expires_at`; relative when the gateway serves it (local
    storage), which makes it absolute with the address the client used."""

    url: str
    key: str
    expires_at: datetime
