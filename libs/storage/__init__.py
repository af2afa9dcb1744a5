"""Where backup artifacts are kept: the Storage protocol and its adapters."""

from libs.storage.base import Storage, StorageError, StoredObject, Upload, validate_key

__all__ = ["Storage", "StorageError", "StoredObject", "Upload", "validate_key"]
