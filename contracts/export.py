"""Export a JSON Schema per event into a folder: `python -m contracts.export contracts/schemas`."""

import sys
from pathlib import Path

import msgspec

from contracts.events import ALL_EVENTS


def schemas() -> dict[str, bytes]:
    """File name → pretty JSON Schema of each event, named by its tag and version."""
    out: dict[str, bytes] = {}
    for cls in ALL_EVENTS:
        name = f"{cls.type_name()}.v{cls.event_version}.json"  # type: ignore[attr-defined]
        schema = msgspec.json.schema(cls)
        out[name] = msgspec.json.format(msgspec.json.encode(schema), indent=2) + b"\n"
    return out


def main(folder: str) -> None:
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, body in schemas().items():
        (target / name).write_bytes(body)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "contracts/schemas")
