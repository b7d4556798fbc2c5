"""Where a host name leads, and whether the server may go there: the one address check for
camera sources (identity.live.sources, FACEAPP_CAMERA_NETWORKS) and webhooks
(integrations.outbound, "allow private addresses"). Plain Python, no Django.

Every address a name resolves to is checked, not only the first: a name with one allowed and
one refused address is refused. IPv4-mapped IPv6 addresses are their IPv4 address."""

from __future__ import annotations

import ipaddress
import socket

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressError(Exception):
    """The host cannot be resolved, or resolves somewhere not allowed; the message names the host
    and addresses only (no URL, no credentials)."""


class UnknownHost(AddressError):
    """No address for the host name: a typing mistake, or a name the network's DNS does not know."""


def ip_of(address: str) -> Address:
    """A resolved address (an IPv6 scope id dropped) as an ip_address; ::ffff:a.b.c.d is a.b.c.d."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip


def address_problem(address: str) -> str | None:
    """Why a destination without "allow private addresses" may not reach `address`, else None."""
    ip = ip_of(address)
    for kind, found in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                        ("unspecified", ip.is_unspecified), ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if found:
            return f"{ip} is a {kind} address"
    return None if ip.is_global else f"{ip} is not a public address"


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo's answers for a TCP connection to host:port; AddressError when there are none."""
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnknownHost(f"no device on the network has the name {host}: check its spelling, or use its IP") from None


def networks_parse(text: str, *, name: str) -> tuple[Network, ...]:
    """CIDRs separated by commas ("" = none); ValueError naming the setting for a bad one."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not a network (write it as 192.168.1.0/24)") from None
    return tuple(networks)


def networks_check(host: str, port: int, networks: tuple[Network, ...]) -> None:
    """Every address `host` resolves to lies in one of `networks` (none given: anywhere), else AddressError."""
    if not networks:
        return
    for *_, sockaddr in resolve(host, port):
        ip = ip_of(sockaddr[0])
        if not any(ip.version == network.version and ip in network for network in networks):
            shown = ", ".join(str(network) for network in networks)
            raise AddressError(f"{host} is at {ip}, not on a network this server may read cameras from ({shown})")
