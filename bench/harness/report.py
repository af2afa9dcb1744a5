"""The end of every benchmark: a table of targets (PASS/MISS) and the numbers as JSON."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.common import ROOT

Check = tuple[str, str, str, bool | None]  # label, value shown, target, met (None: no verdict)


def verdict(ok: bool | None, shown: str = "") -> str:
    if ok is None:
        return "ERROR" if shown == "FAILED" else "-"
    return "PASS" if ok else "MISS"


def print_checks(
    checks: Sequence[Check], label_width: int = 52, value_width: int = 11, rule: int = 104
) -> None:
    target_width = 12 if rule > 90 else 10
    print(f"{'target':<{label_width}} {'value':>{value_width}}  {'target':<{target_width}} result")
    print("-" * rule)
    for label, shown, target, ok in checks:
        print(f"{label:<{label_width}} {shown:>{value_width}}  {target:<{target_width}} {verdict(ok, shown)}")


def targets(checks: Sequence[Check]) -> dict[str, dict[str, Any]]:
    return {label: {"value": shown, "target": target, "pass": ok} for label, shown, target, ok in checks}


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")
