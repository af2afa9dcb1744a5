"""001's blob operations: list artifacts in a destination, delete them by name. Deleting the
artifact of a completed backup deletes its record too, so the catalog never lists a backup
whose file is gone."""

import asyncpg

from contracts.backups import DeleteFiles, DeleteFilesResult, FileList, ListFiles, StoredFile
from libs.crypto.manifest import MANIFEST_SUFFIX, manifest_key
from libs.errors import invalid
from libs.storage import Storage, StorageError
from libs.storage.destinations import DestinationError, Destinations
from services.catalog.handlers.backups import BackupHandlers
from services.catalog.store.backups import backup_ids_by_key, get_backup_by_key

CONTENT_TYPE = "application/vnd.lifeboat.artifact"


class FileHandlers:
    def __init__(self, pool: asyncpg.Pool, destinations: Destinations, backups: BackupHandlers) -> None:
        self.pool = pool
        self.destinations = destinations
        self.backups = backups

    def _storage(self, name: str | None) -> Storage:
        try:
            return self.destinations.get(name)
        except DestinationError as exc:
            raise invalid("destination", str(exc)) from None

    async def list(self, request: ListFiles) -> FileList:
        storage = self._storage(request.destination)
        objects = [o for o in await storage.list(request.prefix) if not o.key.endswith(MANIFEST_SUFFIX)]
        objects = sorted(objects, key=lambda o: o.last_modified, reverse=True)[: request.limit]
        ids = await backup_ids_by_key(self.pool, request.destination or "default", [o.key for o in objects])
        files = [
            StoredFile(
                name=o.key,
                size=o.size,
                created_at=o.last_modified,
                last_modified=o.last_modified,
                content_type=CONTENT_TYPE,
                backup_id=ids.get(o.key),
            )
            for o in objects
        ]
        return FileList(files=files, count=len(files))

    async def delete(self, request: DeleteFiles) -> DeleteFilesResult:
        storage = self._storage(request.destination)
        destination = request.destination or "default"
        deleted: list[str] = []
        not_found: list[str] = []
        errors: list[str] = []
        for name in request.blob_names:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    row = await get_backup_by_key(conn, destination, name)
                    existed = await storage.delete(name)
                    await storage.delete(manifest_key(name))
                    if row is not None:
                        await self.backups.delete_record(conn, row, request)
                (deleted if existed or row else not_found).append(name)
            except StorageError as exc:
                errors.append(f"{name}: {exc}")
        return DeleteFilesResult(deleted=deleted, not_found=not_found, errors=errors)
