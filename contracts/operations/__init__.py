"""RPC operations as values: each is declared once, in the class of the service that serves it,
with its request type and its reply type; callers and the serving service both use the value.

    class Catalog(Service, name="catalog"):
        get_backup = Operation(GetBackup, BackupView)

`Catalog.get_backup.subject` is `lb.rpc.catalog.get_backup`. An operation's request type is its
own (never shared with another operation), so a handler's signature names exactly one operation.
"""

from typing import Any, ClassVar, Generic, TypeVar

import msgspec

from contracts import subjects
from contracts.rpc import Ping, Pong

Req = TypeVar("Req", bound=msgspec.Struct)
Rep = TypeVar("Rep")


class Operation(Generic[Req, Rep]):
    """One request/reply operation; its service and name come from the class that declares it."""

    __slots__ = ("name", "reply", "request", "service", "subject")

    def __init__(self, request: type[Req], reply: type[Rep]) -> None:
        self.request, self.reply = request, reply
        self.service = self.name = self.subject = ""

    def __set_name__(self, owner: type["Service"], name: str) -> None:
        self.name = name

    def _bind(self, service: str) -> None:
        self.service, self.subject = service, subjects.rpc(service, self.name)

    def __repr__(self) -> str:
        return f"<operation {self.service}.{self.name}>"


class Service:
    """The operations one service answers; subclasses are namespaces, never instantiated."""

    service_name: ClassVar[str]
    ping: ClassVar[Operation[Ping, Pong]]

    def __init_subclass__(cls, *, name: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.service_name = name
        # Every service answers pings (libs.runtime serves them): declared here once for all.
        ping: Operation[Ping, Pong] = Operation(Ping, Pong)
        ping.__set_name__(cls, "ping")
        cls.ping = ping
        for operation in operations_of(cls):
            operation._bind(name)


def operations_of(service: type[Service]) -> list[Operation[Any, Any]]:
    """Every operation `service` declares, ping included."""
    return [value for value in vars(service).values() if isinstance(value, Operation)]
