"""Prepared HTTP/1.1 requests, and many keep-alive clients sending them from a process of their own.

A client library spends more CPU per request than the bot spends acking it, and inside the test's
process it would share a core with the fakes, so a starved client would time itself, not the
bot. Raw sockets in a separate process keep the measured time the server's (plus loopback).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


def http_request(path: str, body: str, headers: dict[str, str], port: int) -> bytes:
    """A complete HTTP/1.1 POST, ready to send again and again."""
    data = body.encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(data)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


@dataclass(frozen=True)
class Answer:
    status: int
    elapsed_s: float
    body: bytes


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return int(lines[0].split()[1]), await reader.readexactly(length)


@dataclass(frozen=True)
class KillAfter:
    """SIGKILL `pid` from the clients' process once `answers` answers have come back: at a
    moment the server cannot see coming (not, say, right after one of its commits)."""

    pid: int
    answers: int


async def _clients(
    port: int, plans: list[list[bytes]], kill: KillAfter | None = None
) -> list[list[Answer]]:
    # Every connection is open before the first request, so connecting is not timed.
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in plans]
    answered = 0

    async def client(stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                     requests: list[bytes]) -> list[Answer]:  # fmt: skip
        reader, writer = stream
        answers = []
        for request in requests:
            sent = time.perf_counter()
            try:
                writer.write(request)
                status, body = await read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                if kill is None:
                    raise
                break  # the server died: this request and the rest were never answered
            answers.append(Answer(status, time.perf_counter() - sent, body))
            nonlocal answered
            answered += 1
            if kill is not None and answered == kill.answers:
                os.kill(kill.pid, signal.SIGKILL)
        writer.close()
        return answers

    return list(await asyncio.gather(*(client(s, r) for s, r in zip(streams, plans, strict=True))))


def _run_clients(port: int, plans: list[list[bytes]], kill: KillAfter | None) -> list[list[Answer]]:
    return asyncio.run(_clients(port, plans, kill))


async def concurrent_clients(
    port: int, plans: list[list[bytes]], *, kill: KillAfter | None = None
) -> list[list[Answer]]:
    """One keep-alive connection per plan, all at once, each sending its requests in turn;
    the answers per plan, in order. With `kill`, the server is killed mid-way, and each client
    stops when its connection goes: its answers are the ones it got, in order."""
    # spawn, not fork: the test's process has threads (the fakes) that a fork would copy mid-step.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return await asyncio.get_running_loop().run_in_executor(
            pool, _run_clients, port, plans, kill
        )
