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


def check_url(url: str) -> tuple[str, int, str]:
    """Validate a subscription URL; returns (host, port, path with query). Raises InvalidWebhookUrl."""
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
    resolve_public(parts.hostname, port)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


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
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST once, never following a redirect (it could lead anywhere); returns the status code."""
    host, port, path = check_url(url)
    address = resolve_public(host, port)
    conn = _PinnedHTTPSConnection(host, port, address=address, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)  # the receiver's answer is not kept (it may quote anything)
        return response.status
    finally:
        conn.close()
