"""Where a webhook may go: HTTPS only, to public addresses only (SSRF), checked at subscription and again at every
delivery, on the very address the connection then uses (no DNS rebinding between the check and the connect)."""

import http.client
import ipaddress
import socket
import ssl
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

from .errors import InvalidWebhookUrl


def _allow_private() -> bool:
    return bool(getattr(settings, "SANSCOUTURE_WEBHOOKS_ALLOW_PRIVATE", False))


def resolve_public(host: str, port: int) -> str:
    """The first address of `host` after checking every one is public (unless the setting allows private ones)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidWebhookUrl(f"L'adresse « {host} » ne correspond à aucun serveur (DNS).") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise InvalidWebhookUrl(f"L'adresse « {host} » ne correspond à aucun serveur (DNS).")
    if not _allow_private():
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not ip.is_global or ip.is_multicast:
                raise InvalidWebhookUrl(
                    f"L'adresse « {host} » mène à un réseau privé, local ou réservé ({ip}) : "
                    "un webhook ne part que vers une adresse publique."
                )
    return addresses[0]


def parse_url(url: str) -> tuple[str, int, str]:
    """The syntax rules only (no DNS): returns (host, port, path with query). Raises InvalidWebhookUrl."""
    url = (url or "").strip()
    if len(url) > 500:
        raise InvalidWebhookUrl("L'adresse du webhook fait 500 caractères au plus.")
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise InvalidWebhookUrl("L'adresse du webhook n'est pas une URL valide.") from exc
    if parts.scheme != "https":
        raise InvalidWebhookUrl("L'adresse du webhook doit commencer par https:// (les livraisons sont chiffrées).")
    if not parts.hostname:
        raise InvalidWebhookUrl("L'adresse du webhook doit nommer un serveur (https://serveur/chemin).")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("L'adresse du webhook ne contient pas d'identifiants ; le secret signe les envois.")
    if parts.fragment:
        raise InvalidWebhookUrl("L'adresse du webhook ne contient pas de fragment (#…).")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def check_url(url: str) -> tuple[str, int, str]:
    """Validate a subscription URL: syntax, then every address it resolves to. Raises InvalidWebhookUrl."""
    host, port, path = parse_url(url)
    resolve_public(host, port)
    return host, port, path


@cache
def _tls_context(cafile: str | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, with the certificate verified for the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(
            host, port, timeout=timeout, context=_tls_context(getattr(settings, "SANSCOUTURE_WEBHOOKS_CA_FILE", None))
        )
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # No Nagle: a request is one small write, and waiting for the delayed ACK costs 40 ms on a kept-alive
        # connection (measured with benchmarks/bench_webhooks.py).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Sender:
    """POSTs to one receiver URL, reusing its keep-alive connection between deliveries of a lane. The address is
    checked when a connection opens (first request, or after the receiver closed it), never reused across URLs."""

    def __init__(self, url: str, *, timeout: float) -> None:
        self.host, self.port, self.path = parse_url(url)
        self.timeout = timeout
        self._conn: _PinnedHTTPSConnection | None = None

    def _open(self) -> _PinnedHTTPSConnection:
        address = resolve_public(self.host, self.port)
        return _PinnedHTTPSConnection(self.host, self.port, address=address, timeout=self.timeout)

    def post(self, *, body: bytes, headers: dict[str, str]) -> int:
        """POST once, never following a redirect (it could lead anywhere); returns the status code. A kept-alive
        connection the receiver closed meanwhile is reopened once."""
        reused = self._conn is not None
        if self._conn is None or self._conn.sock is None:
            self.close()
            self._conn = self._open()
        try:
            return self._exchange(body, headers)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.close()
            if not reused:
                raise
            self._conn = self._open()
            return self._exchange(body, headers)

    def _exchange(self, body: bytes, headers: dict[str, str]) -> int:
        assert self._conn is not None
        try:
            self._conn.request("POST", self.path, body=body, headers=headers)
            response = self._conn.getresponse()
            response.read(65536)  # the receiver's answer is not kept (it may quote anything)
            if response.will_close or not response.isclosed():
                # Closed by the receiver, or more body than we read: a fresh connection next time.
                self.close()
            return response.status
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
