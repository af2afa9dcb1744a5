"""How the retention service words who names a policy: a refusal names every database and schedule
(ids and names) so the operator can reassign them, or delete with `reassign_to`."""

from contracts.retention import PolicyUser

SHOWN = 20  # a refusal lists this many of each kind; the count says how many more


def _listed(kind: str, users: list[PolicyUser]) -> str:
    names = ", ".join(f"{u.id} {u.name!r}" for u in users[:SHOWN])
    more = f" and {len(users) - SHOWN} more" if len(users) > SHOWN else ""
    return f"{len(users)} {kind}{'s' if len(users) != 1 else ''} ({names}{more})"


def in_use(policy: str, databases: list[PolicyUser], schedules: list[PolicyUser]) -> str:
    named_by = [
        _listed(kind, users) for kind, users in (("database", databases), ("schedule", schedules)) if users
    ]
    return (
        f"retention policy {policy!r} is named by {' and '.join(named_by)}; give them another policy"
        " first, or delete with reassign_to=<policy id> to move them all"
    )


def deleted(policy: str, reassigned_to: int | None) -> str:
    moved = (
        f"; its databases and schedules now name policy {reassigned_to}" if reassigned_to is not None else ""
    )
    return f"Retention policy '{policy}' deleted{moved}"
