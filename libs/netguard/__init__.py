"""The network guard's rules, as pure functions of addresses: where a connection Lifeboat makes on
a user's behalf (a database, later a webhook or an SSH tunnel) may go.

Invariants:
- Refused whatever the operator configures: unspecified, link-local and cloud-metadata,
  multicast, broadcast and reserved addresses, and Lifeboat's own endpoints (matched by address
  and port). An IPv6 address that embeds an IPv4 one (mapped, NAT64, 6to4) is judged as that
  IPv4 address too.
- Then `deny` ranges are refused; when `allow` ranges are given, everything outside them is.
- Private ranges and loopback are allowed by default: that is where databases live.
- A reason names the address and the rule, never anything learnt from the peer.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import parse_qs, urlsplit

from libs.config import SettingsError

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

ALLOW_VARIABLE = "LIFEBOAT_NETWORK_ALLOW"
DENY_VARIABLE = "LIFEBOAT_NETWORK_DENY"
NAT64 = IPv6Network("64:ff9b::/96")
LOOPBACK = (IPv4Network("127.0.0.0/8"), IPv6Network("::1/128"))
ALWAYS_REFUSED: tuple[tuple[Network, str], ...] = tuple(
    (ip_network(cidr), what)
    for cidr, what in (
        ("0.0.0.0/8", "an unspecified address"),
        ("::/128", "an unspecified address"),
        ("169.254.0.0/16", "link-local (where cloud metadata services answer)"),
        ("fe80::/10", "link-local"),
        ("fd00:ec2::254/128", "a cloud metadata address"),
        ("224.0.0.0/4", "multicast"),
        ("ff00::/8", "multicast"),
        ("255.255.255.255/32", "broadcast"),
        ("240.0.0.0/4", "reserved"),
    )
)


class TargetNotAllowed(Exception):
    """A connection the guard refuses; `reason` says why in words safe to show anyone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OwnEndpoint:
    """One of Lifeboat's own services: `what` ("NATS", "PostgreSQL", "HTTP API") on `port` at
    any of `networks`."""

    what: str
    networks: tuple[Network, ...]
    port: int

    def matches(self, address: Address, port: int) -> bool:
        return port == self.port and any(address in network for network in self.networks)


@dataclass(frozen=True)
class Policy:
    own: tuple[OwnEndpoint, ...] = ()
    allow: tuple[Network, ...] = ()  # empty: every address the built-in rules leave
    deny: tuple[Network, ...] = ()

    def refusal(self, address: Address, port: int) -> str | None:
        """Why a connection to `address`:`port` is refused, or None when it may go ahead."""
        judged = [address, *embedded_ipv4(address)]
        where = f"{_literal(address)}:{port}"
        for candidate in judged:
            for network, what in ALWAYS_REFUSED:
                if candidate in network:
                    return f"{where} is {what}; connections there are refused"
            for own in self.own:
                if own.matches(candidate, port):
                    return f"{where} is Lifeboat's own {own.what}; connections there are refused"
        if any(candidate in network for candidate in judged for network in self.deny):
            return f"{where} is in a range {DENY_VARIABLE} refuses"
        if self.allow and not any(candidate in network for candidate in judged for network in self.allow):
            return f"{where} is outside the ranges {ALLOW_VARIABLE} allows"
        return None

    def check(self, addresses: Iterable[Address], port: int) -> None:
        """Raise TargetNotAllowed if any address is refused: a name is only as safe as every
        address it resolves to."""
        for address in addresses:
            reason = self.refusal(address, port)
            if reason is not None:
                raise TargetNotAllowed(reason)


def canonical(address: Address) -> Address:
    """An IPv4-mapped IPv6 address as the IPv4 address it is; anything else unchanged."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def embedded_ipv4(address: Address) -> list[IPv4Address]:
    """IPv4 addresses an IPv6 address reaches through: mapped, NAT64 (64:ff9b::/96), 6to4."""
    if not isinstance(address, IPv6Address):
        return []
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address in NAT64:
        found.append(IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def parse_networks(text: str, variable: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (a bare address is a /32 or /128); SettingsError naming `variable`."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise SettingsError(f"{variable}: {item!r} is not an address range (CIDR)") from None
    return tuple(networks)


def parse_address(text: str) -> Address:
    """An address literal as getaddrinfo returns it (an IPv6 zone, `%eth0`, dropped)."""
    return canonical(ip_address(text.split("%", 1)[0]))


def _literal(address: Address) -> str:
    return f"[{address}]" if isinstance(address, IPv6Address) else str(address)


def url_endpoints(url: str, default_port: int) -> list[tuple[str, int]]:
    """The (host, port) pairs a NATS or PostgreSQL URL connects to: NATS takes several
    comma-separated URLs, libpq several comma-separated hosts, and `?host=`/`?port=` override
    the authority (a host starting with "/" is a Unix socket directory, kept as given)."""
    pairs: list[tuple[str, int]] = []
    for piece in url.split(","):
        piece = piece.strip()
        if not piece:
            continue
        parts = urlsplit(piece if "://" in piece else "//" + piece)
        query = parse_qs(parts.query)
        port = int(query["port"][0]) if "port" in query else parts.port or default_port
        host = query["host"][0] if "host" in query else parts.hostname or "127.0.0.1"
        pairs.append((host, port))
    return pairs
