"""Where the platform may send a request on a user's say-so: public addresses only.

That is every address a workspace member typed into a channel account (webhook targets, feed
URLs, Mastodon and Bluesky servers, a Meta Graph address, IMAP and SMTP hosts) and alert webhooks.

A URL a workspace member typed must not make the server call into its own network (SSRF): the
metadata service on 169.254.169.254, the database on 127.0.0.1, an admin panel on 10.0.0.5.
`target_check` resolves the host and refuses when any address it resolves to is private,
loopback, link-local, multicast, reserved, unspecified or otherwise not globally routable, for
IPv4 and IPv6 (an IPv4-mapped or NAT64/6to4 address is judged by the IPv4 address inside).

`target_check_on_save` runs when a URL is saved, so the user hears about a bad address at once,
next to the field; it also refuses a name that does not resolve, since nothing could be delivered
there. `target_check` runs again before every call, because DNS answers change (a name may be
pointed at 127.0.0.1 after it was saved). A small window remains between that check and the
connection's own lookup; redirects are never followed, so the checked host is the one called.
`host_check` and `host_check_on_save` judge a bare host (a mail server) by the same rules.

Private targets are allowed for one workspace by its admin (`Workspace.allow_private_webhook_targets`,
audited), or for the whole deployment with CXM_WEBHOOK_ALLOW_PRIVATE.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(Exception):
    """The URL points somewhere the platform does not call; the message says why."""


def private_targets_allowed(workspace=None, *, allow_private: bool = False) -> bool:
    if settings.CXM_WEBHOOK_ALLOW_PRIVATE or allow_private:
        return True
    return bool(getattr(workspace, "allow_private_webhook_targets", False))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_is_public(address: IPAddress) -> bool:
    """True only for a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return address_is_public(inner)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _resolve(host: str, port: int, resolver: Callable) -> list[IPAddress]:
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return []
    addresses = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        try:
            addresses.append(ipaddress.ip_address(raw))
        except ValueError:
            continue
    return addresses


def target_check(
    url: str, *, workspace=None, allow_private: bool = False, resolver: Callable = socket.getaddrinfo
) -> None:
    """Raise UnsafeTarget when `url` is not http(s) or reaches a non-public address.

    `workspace` (its admin's allowance) or `allow_private` (the same, already looked up, for code
    that holds no workspace) let private addresses through."""
    _check(url, workspace=workspace, allow_private=allow_private, resolver=resolver, must_resolve=False)


def target_check_on_save(
    url: str, *, workspace=None, allow_private: bool = False, resolver: Callable = socket.getaddrinfo
) -> None:
    """`target_check` for a URL a user is saving: a name that resolves to no address is refused too
    (unless private targets are allowed, where an internal name may only resolve later)."""
    _check(url, workspace=workspace, allow_private=allow_private, resolver=resolver, must_resolve=True)


def host_check(
    host: str, *, workspace=None, allow_private: bool = False, resolver: Callable = socket.getaddrinfo
) -> None:
    """`target_check` for a bare host name or IP address (a mail server), which has no URL."""
    _check_host(
        _host_of(host),
        workspace=workspace,
        allow_private=allow_private,
        resolver=resolver,
        must_resolve=False,
    )


def host_check_on_save(
    host: str, *, workspace=None, allow_private: bool = False, resolver: Callable = socket.getaddrinfo
) -> None:
    """`target_check_on_save` for a bare host name or IP address."""
    _check_host(
        _host_of(host), workspace=workspace, allow_private=allow_private, resolver=resolver, must_resolve=True
    )


def _host_of(host: str) -> str:
    host = str(host).strip()
    # A scheme, path, credentials or spaces mean a URL or something else was typed, not a host.
    if not host or any(char in host for char in "/\\@?# \t\r\n"):
        raise UnsafeTarget(_("Enter a host name or IP address, without http:// or a path."))
    return host


def _check(url: str, *, workspace, allow_private: bool, resolver: Callable, must_resolve: bool) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(_("Enter an http:// or https:// URL."))
    if private_targets_allowed(workspace, allow_private=allow_private):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget(_("The URL has an invalid port.")) from None
    _check_host(
        parts.hostname,
        port=port,
        workspace=workspace,
        allow_private=allow_private,
        resolver=resolver,
        must_resolve=must_resolve,
    )


def _check_host(
    host: str, *, port: int = 0, workspace, allow_private: bool, resolver: Callable, must_resolve: bool
) -> None:
    if private_targets_allowed(workspace, allow_private=allow_private):
        return
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = _resolve(host, port, resolver)
        if not addresses and must_resolve:
            raise UnsafeTarget(
                _("%(host)s does not resolve to any address; check the URL.") % {"host": host}
            ) from None
    for address in addresses:
        if not address_is_public(address):
            raise UnsafeTarget(
                _(
                    "%(host)s is a private, loopback or otherwise internal address (%(address)s); "
                    "the platform only calls public addresses unless an admin allows private ones."
                )
                % {"host": host, "address": address}
            )
