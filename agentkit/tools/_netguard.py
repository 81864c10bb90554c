"""Which network addresses the web tools may connect to.

A model chooses the URLs, and a page it reads may be written by an attacker, so the web tools refuse to
reach the machine they run on and its private networks (server-side request forgery): loopback, private,
link-local (cloud metadata at 169.254.169.254), shared, reserved and multicast addresses. Every address a
host name resolves to is checked, IPv4 addresses hidden inside IPv6 (mapped, 6to4, Teredo, NAT64) are
checked as IPv4, and numeric host spellings a resolver would accept (``2130706433``, ``0177.0.0.1``,
``0x7f.1``) are read as the address they mean, not passed on as names.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import anyio

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

# Looked up at call time, so tests can stand in a resolver without touching the network.
_getaddrinfo = anyio.getaddrinfo


class BlockedAddressError(ValueError):
    """The URL leads to an address the web tools may not reach. The message is written for the model."""


def parse_ip_literal(host: str) -> IPAddress | None:
    """Read ``host`` as an IP address if it is one in any spelling a resolver accepts, else ``None``.

    Raises ``BlockedAddressError`` for a host that looks numeric but is no valid address (``1.2.3.999``),
    rather than letting a resolver guess what it means.
    """
    host = host.strip("[]").rstrip(".")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise BlockedAddressError(f"{host!r} is not a valid IPv6 address") from None
    parts = host.split(".")
    if not parts or not all(_looks_numeric(part) for part in parts):
        return None
    # inet_aton/WHATWG forms: a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits), a (32 bits);
    # each part decimal, octal with a leading 0, or hex with 0x.
    if len(parts) > 4:
        raise BlockedAddressError(f"{host!r} is not a valid IPv4 address")
    numbers = [_parse_number(part) for part in parts]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise BlockedAddressError(f"{host!r} is not a valid IPv4 address")
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _looks_numeric(part: str) -> bool:
    if part[:2].lower() == "0x":
        return all(c in "0123456789abcdefABCDEF" for c in part[2:])
    return part.isascii() and part.isdigit()


def _parse_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        try:
            return int(part, 8)
        except ValueError:
            raise BlockedAddressError(f"{part!r} is not a valid octal number in an IPv4 address") from None
    return int(part)


def embedded_addresses(ip: IPAddress) -> list[IPAddress]:
    """Every IPv4 address carried inside ``ip`` (IPv4-mapped, 6to4, Teredo, NAT64), then ``ip`` itself."""
    found: list[IPAddress] = []
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if ip in _NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    found.append(ip)
    return found


def _kind(reason: str) -> str:
    """'a loopback', 'an unspecified', 'not a globally reachable' (address)."""
    if reason.startswith("not "):
        return f"not a {reason[4:]}"
    return f"{'an' if reason[0] in 'aeiou' else 'a'} {reason}"


def _why_blocked(ip: IPAddress) -> str | None:
    """A short reason if ``ip`` is not a public unicast address, else ``None``."""
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("not globally reachable", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses may be reached: public ones always, others only when allowed explicitly.

    Attributes:
        allow_private: Allow every address (loopback, private, link-local...). For tests and intranets.
        allow_networks: Networks allowed even though they are not public, e.g. ``("10.1.0.0/16",)``.
    """

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, allow_private: bool = False, allow_networks: Iterable[str] = ()) -> AddressPolicy:
        return cls(allow_private, tuple(ipaddress.ip_network(net, strict=False) for net in allow_networks))

    def check(self, ip: IPAddress, host: str) -> None:
        """Raise ``BlockedAddressError`` unless ``ip`` (reached for ``host``) may be connected to."""
        if self.allow_private or any(ip in net for net in self.allow_networks if net.version == ip.version):
            return
        for candidate in embedded_addresses(ip):
            reason = _why_blocked(candidate)
            if reason is not None:
                shown = host if host == str(ip) else f"{host} ({ip})"
                inner = "" if candidate == ip else f", which carries {candidate}"
                raise BlockedAddressError(
                    f"refused: {shown}{inner} is {_kind(reason)} address; the web tools only reach public "
                    "internet addresses unless private addresses are allowed explicitly"
                )

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` stands for, each one checked; the caller connects to one of these."""
        literal = parse_ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                infos = await _getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise BlockedAddressError(f"could not resolve host {host!r}: {exc}") from None
            addresses = []
            for info in infos:
                ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
                if ip not in addresses:
                    addresses.append(ip)
            if not addresses:
                raise BlockedAddressError(f"host {host!r} resolved to no address")
        for ip in addresses:
            self.check(ip, host)
        return addresses
