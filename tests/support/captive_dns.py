"""A broken resolver on 127.0.0.1 that answers NXDOMAIN to every question (as captive portals do).

``with CaptiveResolver() as server: ... --nameserver server.address`` - a real
UDP and TCP DNS server (dnspython messages over sockets) in a daemon thread,
stopped when the block ends.  Used to prove that a resolver that denies
everything gives "cannot conclude", never a grade built on its lies.
"""

from __future__ import annotations

import socket
import struct
import threading

import dns.message
import dns.rcode

from tests.support.nsd import free_port


def _nxdomain(wire: bytes) -> bytes:
    query = dns.message.from_wire(wire)
    reply = dns.message.make_response(query)
    reply.set_rcode(dns.rcode.NXDOMAIN)
    return reply.to_wire()


class CaptiveResolver:
    def __init__(self) -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.questions = 0
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", self.port))
        self._udp.settimeout(0.1)
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._tcp.bind(("127.0.0.1", self.port))
        self._tcp.listen(8)
        self._tcp.settimeout(0.1)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_tcp, daemon=True)]

    def __enter__(self) -> CaptiveResolver:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(2)
        self._udp.close()
        self._tcp.close()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._udp.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                self._udp.sendto(_nxdomain(wire), peer)
                self.questions += 1
            except Exception:  # a malformed question is dropped, as a resolver would
                continue

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                try:
                    size = struct.unpack("!H", conn.recv(2))[0]
                    reply = _nxdomain(conn.recv(size))
                    conn.sendall(struct.pack("!H", len(reply)) + reply)
                    self.questions += 1
                except Exception:
                    continue
