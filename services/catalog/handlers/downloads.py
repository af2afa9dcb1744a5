"""Download links: the catalog names every backup file a client may download — a completed
backup's artifact, or an existing file in a destination — and signs the URL (S3 presigns its
own). The gateway serves the bytes a signed URL names; it reads nothing else of storage itself."""

from datetime import UTC, datetime, timedelta

import asyncpg

from contracts.downloads import BackupDownloadLink, DownloadUrl, FileDownloadLink
from libs.errors import Refused, invalid
from libs.storage import StorageError
from libs.storage.destinations import DestinationError, Destinations
from services.catalog.handlers.backups import found_backup


class DownloadHandlers:
    def __init__(self, pool: asyncpg.Pool, destinations: Destinations) -> None:
        self.pool = pool
        self.destinations = destinations

    async def backup_link(self, request: BackupDownloadLink) -> DownloadUrl:
        row = await found_backup(self.pool, request.backup_id)
        if row.status != "completed" or not row.storage_key:
            detail = f"backup {request.backup_id} is {row.status}; nothing to download"
            raise Refused(409, "BACKUP_NOT_COMPLETED", detail)
        return await self._link(row.destination or "default", row.storage_key, request.expires_seconds)

    async def file_link(self, request: FileDownloadLink) -> DownloadUrl:
        try:
            exists = await self.destinations.get(request.destination).exists(request.key)
        except (DestinationError, StorageError) as exc:
            raise invalid("blob_name", str(exc)) from None
        if not exists:
            raise Refused(404, "NOT_FOUND", f"backup file {request.key!r} not found")
        return await self._link(request.destination, request.key, request.expires_seconds)

    async def _link(self, destination: str, key: str, seconds: int) -> DownloadUrl:
        try:
            url = await self.destinations.get(destination).download_url(key, seconds)
        except (DestinationError, StorageError) as exc:
            raise Refused(409, "STORAGE_UNAVAILABLE", str(exc)) from None
        expires_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)
        return DownloadUrl(url=url, key=key, expires_at=expires_at)
