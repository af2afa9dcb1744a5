"""The network guard's rules over every notation and category, and the SQLite roots' confinement."""

import socket
from ipaddress import ip_address, ip_network
from pathlib import Path

import psutil
import pytest

from libs import config
from libs.confinement import confined
from libs.netguard import OwnEndpoint, Policy, TargetNotAllowed, parse_networks, url_endpoints
from libs.netguard.resolver import admit, lifeboat_policy, local_networks, own_endpoint
from services.executor.settings import ExecutorSettings

NATS_PORT, PG_PORT, HTTP_PORT = 14222, 15432, 8000
LOOPBACK_NOTATIONS = ["127.0.0.1", "localhost", "2130706433", "0x7f000001", "127.1", "017700000001",
                      "::ffff:127.0.0.1", "127.200.0.9"]  # fmt: skip


async def _embedded_policy(**ranges) -> Policy:  # type: ignore[no-untyped-def]
    return await lifeboat_policy(
        nats_url=f"nats://127.0.0.1:{NATS_PORT}",
        database_url=f"postgresql://postgres@127.0.0.1:{PG_PORT}/lifeboat",
        http_host="127.0.0.1",
        http_port=HTTP_PORT,
        **ranges,
    )


OWN = [(NATS_PORT, "NATS"), (PG_PORT, "PostgreSQL"), (HTTP_PORT, "HTTP API")]


@pytest.mark.parametrize("host", LOOPBACK_NOTATIONS)
@pytest.mark.parametrize(("port", "what"), OWN)
async def test_lifeboats_own_endpoints_are_refused_in_every_notation(host, port, what):
    policy = await _embedded_policy()
    with pytest.raises(TargetNotAllowed) as refused:
        await admit(policy, host, port)
    assert f"is Lifeboat's own {what}; connections there are refused" in refused.value.reason


@pytest.mark.parametrize("host", ["0.0.0.0", "0", "::", "0.1.2.3"])
async def test_unspecified_addresses_are_refused_on_any_port(host):
    with pytest.raises(TargetNotAllowed, match="unspecified"):
        await admit(await _embedded_policy(), host, 5432)


@pytest.mark.parametrize(
    ("host", "what"),
    [
        ("169.254.169.254", "link-local"),
        ("169.254.0.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%lo", "link-local"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:169.254.169.254", "link-local"),  # mapped
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
    ],
)
async def test_link_local_metadata_multicast_and_broadcast_are_refused(host, what):
    with pytest.raises(TargetNotAllowed, match=what):
        await admit(await _embedded_policy(), host, 80)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 5432, "127.0.0.1"),  # the machine's own PostgreSQL: not Lifeboat's
        ("localhost", 3306, "127.0.0.1"),
        ("2130706433", 6379, "127.0.0.1"),  # resolved once: the engines get the literal
        ("::1", 5432, "::1"),
        ("::ffff:10.0.0.5", 5432, "10.0.0.5"),
        ("10.0.0.5", 5432, "10.0.0.5"),
        ("172.16.4.4", 3306, "172.16.4.4"),
        ("192.168.1.100", PG_PORT, "192.168.1.100"),  # another host on Lifeboat's port number
        ("8.8.8.8", 5432, "8.8.8.8"),
        ("127.0.0.1", NATS_PORT + 1, "127.0.0.1"),
    ],
)
async def test_databases_where_they_live_are_allowed_by_default(host, port, expected):
    assert str(await admit(await _embedded_policy(), host, port)) == expected


async def test_a_remote_own_endpoint_is_matched_by_its_own_addresses_only():
    own = await own_endpoint("PostgreSQL", "10.9.8.7", 5432)
    policy = Policy(own=(own,))
    with pytest.raises(TargetNotAllowed, match="own PostgreSQL"):
        await admit(policy, "10.9.8.7", 5432)
    assert str(await admit(policy, "127.0.0.1", 5432)) == "127.0.0.1"


async def test_a_local_own_endpoint_is_refused_on_every_interface_address():
    nics = psutil.net_if_addrs().values()
    addresses = [a.address for nic in nics for a in nic if a.family == socket.AF_INET]
    policy = await _embedded_policy()
    for address in addresses:
        with pytest.raises(TargetNotAllowed, match="own NATS"):
            await admit(policy, address, NATS_PORT)
    assert all(any(ip_address(a) in n for n in local_networks()) for a in addresses)


async def test_an_own_endpoint_bound_to_every_interface_is_refused_everywhere_local():
    policy = await lifeboat_policy(
        nats_url="nats://u:p@0.0.0.0:4222", database_url="postgresql:///lifeboat?host=/run/pg&port=6543",
        http_host="0.0.0.0", http_port=9000,
    )  # fmt: skip
    for port, what in ((4222, "NATS"), (6543, "PostgreSQL"), (9000, "HTTP API")):
        with pytest.raises(TargetNotAllowed, match=what):
            await admit(policy, "localhost", port)


async def test_deny_ranges_are_refused_and_allow_ranges_confine():
    deny = parse_networks("10.0.0.0/8, 2001:db8::/32", "LIFEBOAT_NETWORK_DENY")
    policy = await _embedded_policy(deny=deny)
    with pytest.raises(TargetNotAllowed, match="LIFEBOAT_NETWORK_DENY"):
        await admit(policy, "10.1.2.3", 5432)
    with pytest.raises(TargetNotAllowed, match="LIFEBOAT_NETWORK_DENY"):
        await admit(policy, "::ffff:10.1.2.3", 5432)
    with pytest.raises(TargetNotAllowed, match="LIFEBOAT_NETWORK_DENY"):
        await admit(policy, "2001:db8::5", 5432)
    assert str(await admit(policy, "192.168.0.9", 5432)) == "192.168.0.9"

    allow = parse_networks("192.168.0.0/16,127.0.0.1", "LIFEBOAT_NETWORK_ALLOW")
    policy = await _embedded_policy(allow=allow)
    assert str(await admit(policy, "192.168.7.7", 5432)) == "192.168.7.7"
    assert str(await admit(policy, "localhost", 5432)) == "127.0.0.1"
    with pytest.raises(TargetNotAllowed, match="outside the ranges LIFEBOAT_NETWORK_ALLOW allows"):
        await admit(policy, "10.0.0.1", 5432)


async def test_the_built_in_refusals_cannot_be_allowed_back():
    allow = parse_networks("0.0.0.0/0,::/0", "LIFEBOAT_NETWORK_ALLOW")
    policy = await _embedded_policy(allow=allow)
    refused = [("169.254.169.254", 80), ("fd00:ec2::254", 80), ("127.0.0.1", NATS_PORT), ("0.0.0.0", 1)]
    for host, port in refused:
        with pytest.raises(TargetNotAllowed):
            await admit(policy, host, port)


async def test_a_name_is_refused_if_any_address_it_resolves_to_is():
    policy = Policy(own=(OwnEndpoint("NATS", (ip_network("127.0.0.1/32"),), 4222),))
    with pytest.raises(TargetNotAllowed):
        policy.check([ip_address("10.0.0.1"), ip_address("127.0.0.1")], 4222)


async def test_an_unknown_name_is_a_resolver_error_not_a_refusal():
    with pytest.raises(socket.gaierror):
        await admit(Policy(), "no-such-host.invalid", 5432)


def test_a_malformed_range_stops_the_process_naming_the_variable():
    with pytest.raises(config.SettingsError, match="LIFEBOAT_NETWORK_ALLOW: '10.0.0.0/33'"):
        config.load(ExecutorSettings, {"LIFEBOAT_NETWORK_ALLOW": "10.0.0.0/33"})
    with pytest.raises(config.SettingsError, match="LIFEBOAT_NETWORK_DENY: 'nope'"):
        config.load(ExecutorSettings, {"LIFEBOAT_NETWORK_DENY": "10.0.0.0/8,nope"})
    env = {"LIFEBOAT_NETWORK_DENY": "10.0.0.0/8", "LIFEBOAT_HTTP_PORT": "9"}
    settings = config.load(ExecutorSettings, env)
    assert settings.network_ranges() == ((), (ip_network("10.0.0.0/8"),)) and settings.http_port == 9


def test_urls_name_every_host_they_connect_to():
    assert url_endpoints("nats://a:1,nats://user:pw@b,c:3", 4222) == [("a", 1), ("b", 4222), ("c", 3)]
    assert url_endpoints("postgresql://u:p@db:6000/x", 5432) == [("db", 6000)]
    assert url_endpoints("postgresql://u@h1:1,h2:2/x?sslmode=require", 5432) == [("h1", 1), ("h2", 2)]
    assert url_endpoints("postgresql://[::1]:7/x", 5432) == [("::1", 7)]
    assert url_endpoints("postgresql:///x?host=/run/pg&port=9", 5432) == [("/run/pg", 9)]


def test_sqlite_paths_are_confined_to_the_roots(tmp_path: Path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    (root / "link.db").symlink_to(outside / "x.db")
    roots = (root,)
    assert confined(str(root / "a.db"), roots, follow_symlinks=True) == root / "a.db"
    assert confined(str(root / "sub" / "new" / "b.db"), roots, follow_symlinks=True) is not None
    refused = [
        str(outside / "x.db"),
        "/etc/passwd",
        str(root / ".." / "outside" / "x.db"),
        str(root / "escape" / "x.db"),  # a directory symlink pointing out
        str(root / "link.db"),  # a file symlink pointing out
        str(root),  # the root itself is no file
        "relative.db",
        "",
        str(root / "a\x00.db"),
    ]
    for path in refused:
        assert confined(path, roots, follow_symlinks=True) is None, path
    # lexical (the catalog's check): `..` is caught, symlinks are the executor's to resolve
    assert confined(str(root / ".." / "outside" / "x.db"), roots, follow_symlinks=False) is None
    assert confined(str(root / "escape" / "x.db"), roots, follow_symlinks=False) is not None


def test_the_default_sqlite_root_is_under_the_data_dir(tmp_path: Path):
    settings = config.load(config.ServiceSettings, {"LIFEBOAT_DATA_DIR": str(tmp_path)})
    assert settings.sqlite_root_paths == (tmp_path.resolve() / "sqlite",)
    several = config.load(config.ServiceSettings, {"LIFEBOAT_SQLITE_ROOTS": "/srv/a, /srv/b"})
    assert several.sqlite_root_paths == (Path("/srv/a"), Path("/srv/b"))
