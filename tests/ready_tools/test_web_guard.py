"""The web tools' private-address guard: every bypass attempt is refused before any request is sent.

Each test gives the tools a fake network that answers everything (``network``) and a fake DNS (``dns``),
so that without the guard the request would go out and succeed: the tests fail if the guard is removed.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx
import pytest

from agentkit.tools import _netguard as netguard, web
from agentkit.tools._netguard import AddressPolicy, BlockedAddressError, parse_ip_literal

from .conftest import PUBLIC_IP, FakeDNS, Recorder

pytestmark = pytest.mark.anyio


def settings(transport: httpx.AsyncBaseTransport, **policy: Any) -> web.WebSettings:
    return web.WebSettings(fetch=web.FetchOptions(policy=AddressPolicy.build(**policy), transport=transport))


async def refused(url: str, network: Recorder, **policy: Any) -> str:
    with pytest.raises(web.WebError) as caught:
        await web.fetch_page(url, settings(network.transport, **policy))
    assert network.requests == [], "a request went out to a refused address"
    return str(caught.value)


async def test_the_fake_network_is_reachable_for_a_public_address(dns: FakeDNS, network: Recorder) -> None:
    page = await web.fetch_page("http://public.test/page", settings(network.transport))
    assert page.text == f"reached {PUBLIC_IP}"
    assert [str(r.url) for r in network.requests] == [f"http://{PUBLIC_IP}/page"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://127.8.9.10:8080/admin", "127.8.9.10 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://100.64.0.1/", "100.64.0.1 is not a globally reachable address"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
    ],
)
async def test_non_public_ip_literals_are_refused(
    url: str, reason: str, dns: FakeDNS, network: Recorder
) -> None:
    message = await refused(url, network)
    assert reason in message
    assert "unless private addresses are allowed explicitly" in message
    assert dns.calls == []


async def test_a_hostname_resolving_to_a_private_address_is_refused(dns: FakeDNS, network: Recorder) -> None:
    dns.answers["intranet.test"] = ["10.1.2.3"]
    message = await refused("http://intranet.test/", network)
    assert "intranet.test (10.1.2.3) is a private address" in message


async def test_a_hostname_resolving_to_loopback_is_refused(dns: FakeDNS, network: Recorder) -> None:
    dns.answers["localhost.test"] = ["127.0.0.1"]
    assert "loopback" in await refused("https://localhost.test/", network)


async def test_every_address_of_a_dns_answer_is_checked(dns: FakeDNS, network: Recorder) -> None:
    dns.answers["mixed.test"] = [PUBLIC_IP, "93.184.216.35", "192.168.0.10"]
    message = await refused("http://mixed.test/", network)
    assert "mixed.test (192.168.0.10) is a private address" in message


async def test_an_ipv6_address_in_a_dns_answer_is_checked(dns: FakeDNS, network: Recorder) -> None:
    dns.answers["six.test"] = [PUBLIC_IP, "::ffff:169.254.169.254"]
    message = await refused("http://six.test/", network)
    assert "which carries 169.254.169.254" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
        "http://[64:ff9b::7f00:1]/",  # NAT64 wrapping 127.0.0.1
    ],
)
async def test_ipv4_inside_ipv6_is_checked_as_ipv4(url: str, dns: FakeDNS, network: Recorder) -> None:
    assert "which carries 127.0.0.1 is a loopback address" in await refused(url, network)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",  # decimal
        "http://0177.0.0.1/",  # octal
        "http://0x7f.1/",  # hex, two parts
        "http://0x7f000001/",  # hex, one part
        "http://0177.1/",
        "http://127.1/",
        "http://017700000001/",
    ],
)
async def test_numeric_spellings_of_loopback_are_normalised(
    url: str, dns: FakeDNS, network: Recorder
) -> None:
    # A resolver that answers "public" for anything: only the normalisation stops these.
    for host in ("2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "0177.1", "127.1", "017700000001"):
        dns.answers[host] = [PUBLIC_IP]
    message = await refused(url, network)
    assert "127.0.0.1 is a loopback address" in message
    assert dns.calls == []


async def test_numeric_spelling_of_the_metadata_address(dns: FakeDNS, network: Recorder) -> None:
    dns.answers["0xa9fea9fe"] = [PUBLIC_IP]
    assert "169.254.169.254 is a link-local" in await refused("http://0xa9fea9fe/", network)


async def test_redirect_to_a_private_address_is_refused(dns: FakeDNS) -> None:
    network = Recorder(
        lambda r: httpx.Response(302, headers={"location": "http://127.0.0.1:2375/containers"})
    )
    with pytest.raises(web.WebError, match=r"127\.0\.0\.1 is a loopback address"):
        await web.fetch_page("http://public.test/", settings(network.transport))
    assert [r.url.host for r in network.requests] == [PUBLIC_IP]


async def test_redirect_to_a_name_resolving_privately_is_refused(dns: FakeDNS) -> None:
    dns.answers["metadata.test"] = ["169.254.169.254"]
    network = Recorder(lambda r: httpx.Response(301, headers={"location": "//metadata.test/latest"}))
    with pytest.raises(web.WebError, match=r"metadata\.test \(169\.254\.169\.254\) is a link-local"):
        await web.fetch_page("https://public.test/", settings(network.transport))
    assert len(network.requests) == 1


async def test_redirect_to_a_numeric_spelling_is_refused(dns: FakeDNS) -> None:
    dns.answers["0x7f.1"] = [PUBLIC_IP]
    network = Recorder(lambda r: httpx.Response(307, headers={"location": "http://0x7f.1/"}))
    with pytest.raises(web.WebError, match="loopback"):
        await web.fetch_page("http://public.test/", settings(network.transport))
    assert len(network.requests) == 1


async def test_redirect_to_another_scheme_is_refused(dns: FakeDNS) -> None:
    network = Recorder(lambda r: httpx.Response(302, headers={"location": "file:///etc/passwd"}))
    with pytest.raises(web.WebError, match="only http:// and https://"):
        await web.fetch_page("http://public.test/", settings(network.transport))


async def test_the_connection_goes_to_the_checked_address(
    dns: FakeDNS, network: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a second lookup would say 127.0.0.1, but the checked address is the one used."""
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int, **kwargs: Any) -> list[Any]:
        dns.answers[host] = next(answers)
        return await dns(host, port)

    monkeypatch.setattr(netguard, "_getaddrinfo", rebinding)
    await web.fetch_page("https://rebind.test:8443/x?y=1", settings(network.transport))
    (request,) = network.requests
    assert str(request.url) == f"https://{PUBLIC_IP}:8443/x?y=1"
    assert request.headers["host"] == "rebind.test:8443"
    assert request.extensions["sni_hostname"] == "rebind.test"
    assert dns.calls == ["rebind.test"]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://public.test/",
        "gopher://public.test/",
        "javascript:alert(1)",
        "//public.test/",
    ],
)
async def test_only_http_and_https(url: str, dns: FakeDNS, network: Recorder) -> None:
    assert "only http:// and https://" in await refused(url, network)


async def test_credentials_in_urls_are_refused(dns: FakeDNS, network: Recorder) -> None:
    assert "user names or passwords" in await refused("http://admin:pw@public.test/", network)


async def test_invalid_numeric_hosts_are_refused(dns: FakeDNS, network: Recorder) -> None:
    assert "not a valid IPv4 address" in await refused("http://1.2.3.999/", network)
    assert "not a valid IPv4 address" in await refused("http://1.2.3.4.5/", network)


async def test_unknown_hosts_give_a_clear_error(dns: FakeDNS, network: Recorder) -> None:
    assert "could not resolve host 'nowhere.test'" in await refused("http://nowhere.test/", network)


async def test_allow_private_opens_the_guard(dns: FakeDNS, network: Recorder) -> None:
    page = await web.fetch_page("http://127.0.0.1:9/", settings(network.transport, allow_private=True))
    assert page.text == "reached 127.0.0.1"


async def test_allow_networks_opens_only_those_networks(dns: FakeDNS, network: Recorder) -> None:
    dns.answers["wiki.intranet.test"] = ["10.20.0.7"]
    allowed = settings(network.transport, allow_networks=["10.20.0.0/16"])
    page = await web.fetch_page("http://wiki.intranet.test/", allowed)
    assert page.text == "reached 10.20.0.7"
    network.requests.clear()
    assert "loopback" in await refused("http://127.0.0.1/", network, allow_networks=["10.20.0.0/16"])
    assert "private" in await refused("http://10.21.0.1/", network, allow_networks=["10.20.0.0/16"])


async def test_the_default_tools_refuse_loopback(dns: FakeDNS) -> None:
    result = web.fetch_url.call({"url": "http://127.0.0.1/", "include_links": True})
    with pytest.raises(web.WebError, match=r"127\.0\.0\.1 is a loopback address"):
        await result
    crawl = await web.crawl_site.call({"url": "http://169.254.169.254/", "max_pages": 3, "max_depth": 1})
    assert "link-local" in crawl and "nothing was crawled" in crawl


def test_numeric_host_parsing() -> None:
    cases = {
        "2130706433": "127.0.0.1",
        "0x7f.1": "127.0.0.1",
        "0177.0.0.01": "127.0.0.1",
        "10.1": "10.0.0.1",
        "192.168.257": "192.168.1.1",
        "8.8.8.8.": "8.8.8.8",
        "[::1]": "::1",
    }
    for host, expected in cases.items():
        assert parse_ip_literal(host) == ipaddress.ip_address(expected), host
    for name in ("example.com", "1e100.net", "0x7g.1", "a.0x7f"):
        assert parse_ip_literal(name) is None, name
    for bad in ("256.1.1.1", "1.2.3.4.5", "08.1.1.1", "4294967296"):
        with pytest.raises(BlockedAddressError):
            parse_ip_literal(bad)


def test_public_addresses_pass_the_policy() -> None:
    policy = AddressPolicy()
    for address in (PUBLIC_IP, "8.8.8.8", "2606:4700:4700::1111"):
        policy.check(ipaddress.ip_address(address), address)
