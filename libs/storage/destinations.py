"""Named backup destinations from settings: `default` plus any the operator configures.

    LIFEBOAT_STORAGE_URL           default destination; empty = <data_dir>/backups on local disk
    LIFEBOAT_STORAGE_DESTINATIONS  more, as `name=url;name=url`

A URL is `file:///absolute/dir` or `s3://bucket/prefix?endpoint_url=http://host:port&region=r`.
S3 credentials come from the standard AWS sources (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
profiles, instance roles), never from the URL, so they stay out of settings dumps and logs.
A database picks a destination by name (`backup_destination`); unknown names are refused.
"""

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from libs.config import ServiceSettings
from libs.storage.base import Storage
from libs.storage.local import LocalStorage
from libs.storage.s3 import S3Storage

DEFAULT = "default"
UrlSigner = Callable[[str, str, int], str]  # (destination, key, expires_seconds) -> URL


class DestinationError(ValueError):
    pass


def storage_from_url(url: str, signer: Callable[[str, int], str] | None = None) -> Storage:
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path.startswith("/"):
            raise DestinationError(f"storage URL {url!r}: a file URL needs an absolute path")
        return LocalStorage(Path(parts.path), url_signer=signer)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise DestinationError(f"storage URL {url!r}: no bucket")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint_url", "region"}
        if unknown:
            raise DestinationError(f"storage URL {url!r}: unknown option(s) {', '.join(sorted(unknown))}")
        return S3Storage(
            parts.netloc,
            parts.path.strip("/"),
            endpoint_url=query.get("endpoint_url"),
            region=query.get("region", "us-east-1"),
        )
    raise DestinationError(f"storage URL {url!r}: the scheme must be file:// or s3://")


class Destinations:
    """Every configured destination by name, built once per process."""

    def __init__(self, settings: ServiceSettings, signer: UrlSigner | None = None) -> None:
        self.urls = {DEFAULT: settings.storage_url or (settings.data_path / "backups").as_uri()}
        for item in filter(None, (p.strip() for p in settings.storage_destinations.split(";"))):
            name, sep, url = item.partition("=")
            if not sep or not name.strip():
                raise DestinationError(f"LIFEBOAT_STORAGE_DESTINATIONS: {item!r} is not name=url")
            self.urls[name.strip()] = url.strip()
        self._storages: dict[str, Storage] = {}
        for name, url in self.urls.items():

            def sign(key: str, expires: int, name: str = name) -> str:
                if signer is None:
                    raise DestinationError("this service cannot sign download URLs")
                return signer(name, key, expires)

            self._storages[name] = storage_from_url(url, sign)

    def names(self) -> list[str]:
        return list(self._storages)

    def get(self, name: str | None) -> Storage:
        try:
            return self._storages[name or DEFAULT]
        except KeyError:
            raise DestinationError(f"unknown backup destination {name!r}") from None
