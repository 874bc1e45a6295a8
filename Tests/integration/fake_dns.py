#!/usr/bin/env python3
"""A stand-in for Tor's DNSPort in tests: answers every A query on 127.0.0.1:PORT with ADDRESS.

Tor answers an onion name with an automapped address from 127.192.0.0/10; this does the same,
so Exim's onion router can be exercised without Tor or a network. Usage: fake_dns.py PORT ADDRESS
Prints "ready" once bound; exits after 120 s in any case (tests must not leave it behind).
"""
import socket
import struct
import sys
import time

port, address = int(sys.argv[1]), sys.argv[2]
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", port))
server.settimeout(0.5)
print("ready", flush=True)
deadline = time.time() + 120
while time.time() < deadline:
    try:
        query, client = server.recvfrom(512)
    except socket.timeout:
        continue
    if len(query) < 12:
        continue
    (ident,) = struct.unpack("!H", query[:2])
    end = 12
    while end < len(query) and query[end] != 0:
        end += query[end] + 1
    question = query[12 : end + 5]
    qtype = struct.unpack("!H", query[end + 1 : end + 3])[0] if end + 3 <= len(query) else 0
    answers = 1 if qtype == 1 else 0
    header = struct.pack("!HHHHHH", ident, 0x8180, 1, answers, 0, 0)
    answer = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address) if answers else b""
    server.sendto(header + question + answer, client)
