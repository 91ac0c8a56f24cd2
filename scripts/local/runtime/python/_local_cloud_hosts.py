"""Code written for FC reaches the local emulators from a Python instance too (D139; D124 is the same for nodejs).

A handler that names its region's endpoints -- `https://<bucket>.oss-cn-hangzhou.aliyuncs.com`, `oss-<FC_REGION>-
internal.aliyuncs.com`, `https://<account>.mns.cn-hangzhou.aliyuncs.com` -- instead of reading OSS_ENDPOINT... gets the
emulator, with the request unchanged (its Host header is the cloud host it signed, which the emulators accept):

- `socket.getaddrinfo`, where http.client, urllib, urllib3/requests, asyncio and `socket.create_connection` resolve a
  host, answers the emulator's address and port for a service host of s.yaml's region, and refuses any other
  `*.aliyuncs.com` host at once with a `gaierror` naming it and its service (offline it would be a DNS failure, or
  a call to the real cloud with the local account).
- `ssl.SSLContext.wrap_socket` on a socket connected to an emulator for such a host answers an `ssl.SSLSocket` that
  carries the bytes plainly: the emulators speak HTTP, and there is no certificate to fake. Its handshake succeeds
  at once; `getpeercert()` names the host, so a client matching hostnames itself (urllib3) accepts it.
- `ssl.SSLContext.wrap_bio` (asyncio's TLS: aiohttp, httpx's AsyncClient) for such a host answers an SSLObject that
  passes the bytes between its memory BIOs as they are, for the same reason.

`ssl` is patched when something first imports it, not here: importing it costs a cold start milliseconds that a
handler speaking no TLS keeps. The rules (host patterns, services) come from the local cloud (regional-hosts.ts),
the emulators' addresses from the instance's *_ENDPOINT variables, read once before the handler's module loads.
"""

import importlib.util
import os
import re
import socket
import sys
from urllib.parse import urlsplit

_RULES = {'here': [], 'elsewhere': [], 'names': {}, 'others': {}, 'region': ''}
_TARGETS = {}
_getaddrinfo = socket.getaddrinfo
SERVES = 'it serves OSS, TableStore, MNS, CloudFlow and FC'


class NotEmulated(socket.gaierror):
    """A cloud host the local cloud has no emulator for: refused when it is resolved."""


def classify(host):
    """('service', name) for a host an emulator answers, ('refused', why) for another cloud host, None otherwise."""
    host = host.lower()
    if host.endswith('.'):
        host = host[:-1]
    if host != 'aliyuncs.com' and not host.endswith('.aliyuncs.com'):
        return None
    for service, pattern in _RULES['here']:
        if pattern.fullmatch(host):
            return 'service', service
    for service, pattern in _RULES['elsewhere']:
        if pattern.fullmatch(host):
            return 'refused', '%s outside %s (the local cloud emulates s.yaml\'s region only)' % (_RULES['names'][service], _RULES['region'])
    product = next((label for label in host.split('.') if label in _RULES['others']), None)
    return 'refused', _RULES['others'][product] if product else 'this Alibaba Cloud service'


def route_of(host, port):
    """Where a connection to `host` goes: (host, port) of an emulator, a NotEmulated to raise, or None to leave it."""
    if isinstance(host, bytes):
        host = host.decode('ascii', 'replace')
    if not isinstance(host, str) or 'aliyuncs.com' not in host.lower():
        return None
    answer = classify(host)
    if answer is None:
        return None
    kind, what = answer
    if kind == 'service' and what in _TARGETS:
        return _TARGETS[what]
    why = '%s (no local endpoint)' % _RULES['names'][what] if kind == 'service' else what
    return NotEmulated(socket.EAI_NONAME, 'ENOTEMULATED %s:%s: %s is not emulated by the local cloud; %s' % (host, port, why, SERVES))


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's own parameter names
    route = route_of(host, port)
    if route is None:
        return _getaddrinfo(host, port, family, type, proto, flags)
    if isinstance(route, Exception):
        raise route
    return _getaddrinfo(route[0], route[1], family, type, proto, flags)


def _emulator_addresses(target):
    return {info[4][:2] for info in _getaddrinfo(target[0], target[1], 0, socket.SOCK_STREAM)}


def _patch_ssl(ssl):
    wrap_socket = ssl.SSLContext.wrap_socket
    wrap_bio = ssl.SSLContext.wrap_bio

    class CarriedPlainly(ssl.SSLSocket):
        """An SSLSocket without its SSL object: SSLSocket's own methods then read and write the socket as it is."""

        def do_handshake(self, block=False):
            return None

        def getpeercert(self, binary_form=False):
            if binary_form:
                return None
            host = self.server_hostname or ''
            return {'subject': ((('commonName', host),),), 'subjectAltName': (('DNS', host),)}

        def _real_connect(self, addr, connect_ex):
            # Wrapped before it connected: the address it names is the cloud's; the emulator's is the route's.
            target = route_of(addr[0], addr[1]) if isinstance(addr, tuple) else None
            if isinstance(target, Exception):
                raise target
            address = target or addr
            if connect_ex:
                error = socket.socket.connect_ex(self, address)
                if error:
                    return error
            else:
                socket.socket.connect(self, address)
            self._connected = True
            return 0

    def carried(context, sock, server_side, server_hostname):
        """The emulator's route when this TLS socket is a client's to an emulated host, connected there (or not yet)."""
        if server_side or not server_hostname:
            return None
        target = route_of(server_hostname, 443)
        if not isinstance(target, tuple):
            return None
        try:
            peer = sock.getpeername()[:2]
        except OSError:
            return target  # not connected yet: CarriedPlainly connects it to the emulator
        # Connected elsewhere (through a proxy's tunnel): that is not the emulator, so TLS it is.
        return target if peer in _emulator_addresses(target) else None

    def patched_wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True, suppress_ragged_eofs=True, server_hostname=None, session=None):
        if carried(self, sock, server_side, server_hostname) is None:
            return wrap_socket(self, sock, server_side, do_handshake_on_connect, suppress_ragged_eofs, server_hostname, session)
        plain = CarriedPlainly._create(sock=sock, server_side=False, do_handshake_on_connect=False, suppress_ragged_eofs=suppress_ragged_eofs, server_hostname=server_hostname, context=self, session=session)
        plain._sslobj = None
        return plain

    def patched_wrap_bio(self, incoming, outgoing, server_side=False, server_hostname=None, session=None):
        # asyncio's TLS (aiohttp, httpx's AsyncClient): its socket, resolved by getaddrinfo above, is the emulator's.
        if not server_side and server_hostname and isinstance(route_of(server_hostname, 443), tuple):
            return PlainObject(incoming, outgoing, server_hostname, self)
        return wrap_bio(self, incoming, outgoing, server_side, server_hostname, session)

    class PlainObject:
        """An SSLObject that moves the bytes between its two memory BIOs as they are: a handshake with nothing to say."""

        server_side = False

        def __init__(self, incoming, outgoing, server_hostname, context):
            self._incoming = incoming
            self._outgoing = outgoing
            self.server_hostname = server_hostname
            self.context = context
            self.session = None
            self.session_reused = False

        def do_handshake(self):
            return None

        def read(self, len=1024, buffer=None):  # noqa: A002 - SSLObject's own parameter name
            data = self._incoming.read(len)
            if not data and not self._incoming.eof:
                raise ssl.SSLWantReadError('The operation did not complete (read)')
            if buffer is None:
                return data
            buffer[:len(data)] = data
            return len(data)

        def write(self, data):
            return self._outgoing.write(data)

        def unwrap(self):
            return None

        def pending(self):
            return 0

        getpeercert = CarriedPlainly.getpeercert

        def cipher(self):
            return None

        def shared_ciphers(self):
            return None

        def compression(self):
            return None

        def selected_alpn_protocol(self):
            return None

        def version(self):
            return None

    ssl.SSLContext.wrap_socket = patched_wrap_socket
    ssl.SSLContext.wrap_bio = patched_wrap_bio


class _PatchSslWhenImported:
    """A meta path finder that lets `ssl` load as usual, then patches it; gone after that one import."""

    def find_spec(self, name, path=None, target=None):
        if name != 'ssl':
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            _patch_ssl(module)

        spec.loader.exec_module = exec_and_patch
        return spec


def install(rules):
    """Routes the region's hosts (rules from the local cloud) to the endpoints in this instance's environment."""
    _RULES.update(
        here=[(service, re.compile(pattern)) for service, pattern in rules['here']],
        elsewhere=[(service, re.compile(pattern)) for service, pattern in rules['elsewhere']],
        names=rules['names'],
        others=rules['others'],
        region=rules['region'],
    )
    for service, variable in rules['variables'].items():
        endpoint = os.environ.get(variable)
        if endpoint:
            parts = urlsplit(endpoint if '://' in endpoint else 'http://' + endpoint)
            _TARGETS[service] = (parts.hostname, parts.port or (443 if parts.scheme == 'https' else 80))
    socket.getaddrinfo = getaddrinfo
    if 'ssl' in sys.modules:
        _patch_ssl(sys.modules['ssl'])
    else:
        sys.meta_path.insert(0, _PatchSslWhenImported())
