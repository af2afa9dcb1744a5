"""The one error a service raises to refuse a request; the gateway turns it into HTTP."""


class Refused(Exception):
    """A request broke a rule. `status` is the HTTP status; `field` names the offending input."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field


def not_found(resource: str, resource_id: object) -> Refused:
    """404 with the resource's own code: `not_found("backup", 7)` is `BACKUP_NOT_FOUND` (003's
    name), `not_found("retention policy", 2)` is `RETENTION_POLICY_NOT_FOUND`."""
    code = f"{resource.upper().replace(' ', '_')}_NOT_FOUND"
    return Refused(404, code, f"{resource} {resource_id} not found")


def conflict(detail: str, field: str | None = None) -> Refused:
    return Refused(409, "CONFLICT", detail, field)


def invalid(field: str, detail: str) -> Refused:
    return Refused(422, "VALIDATION_ERROR", f"{field}: {detail}", field)
