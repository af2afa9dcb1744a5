"""The guard's contact with the network: names resolved once (getaddrinfo, which also reads
`2130706433`, `0x7f000001`, `127.1` and `localhost` as the addresses they are), and Lifeboat's own
endpoints found from its settings.

Invariant: `admit` returns the address the connection must go to; callers connect to that literal,
never to the name again, so a second lookup cannot point the connection somewhere else.
"""

import asyncio
import socket
from ipaddress import ip_network

import psutil

from libs.netguard import LOOPBACK, Address, Network, OwnEndpoint, Policy, parse_address, url_endpoints


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, in getaddrinfo's order; socket.gaierror if none."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[Address] = []
    for info in infos:
        address = parse_address(str(info[4][0]))
        if address not in found:
            found.append(address)
    return found


async def admit(policy: Policy, host: str, port: int) -> Address:
    """The address to connect to for `host`:`port`; TargetNotAllowed if any it resolves to is refused."""
    addresses = await resolve(host, port)
    policy.check(addresses, port)
    return addresses[0]


def local_networks() -> tuple[Network, ...]:
    """Loopback and every address of this machine's interfaces."""
    networks: list[Network] = list(LOOPBACK)
    for addresses in psutil.net_if_addrs().values():
        for entry in addresses:
            if entry.family in (socket.AF_INET, socket.AF_INET6):
                networks.append(ip_network(parse_address(entry.address)))
    return tuple(networks)


async def own_endpoint(what: str, host: str, port: int) -> OwnEndpoint:
    """Where one of Lifeboat's own services answers. A host on this machine (loopback, unspecified,
    an interface's address, a Unix socket, or a name that does not resolve yet) is protected on
    every local address; another host on the addresses it resolves to."""
    local = local_networks()
    if host.startswith("/"):
        return OwnEndpoint(what, local, port)
    try:
        addresses = await resolve(host, port)
    except socket.gaierror:
        return OwnEndpoint(what, local, port)
    if any(a.is_loopback or a.is_unspecified or any(a in n for n in local) for a in addresses):
        return OwnEndpoint(what, local, port)
    return OwnEndpoint(what, tuple(ip_network(a) for a in addresses), port)


async def lifeboat_policy(
    *,
    nats_url: str,
    database_url: str,
    http_host: str,
    http_port: int,
    allow: tuple[Network, ...] = (),
    deny: tuple[Network, ...] = (),
) -> Policy:
    """The policy of a service whose own NATS, PostgreSQL and HTTP API are those given."""
    own = [await own_endpoint("NATS", host, port) for host, port in url_endpoints(nats_url, 4222)]
    own += [await own_endpoint("PostgreSQL", h, p) for h, p in url_endpoints(database_url, 5432)]
    own.append(await own_endpoint("HTTP API", http_host, http_port))
    return Policy(own=tuple(own), allow=allow, deny=deny)
