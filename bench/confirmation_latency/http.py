"""A minimal HTTP/1.1 client for the load: keep-alive connections, JSON POSTs, the status.

httpx's connection pool scans every connection and queued request on each request; at a few
hundred requests in flight the load generator itself ate a core of this two-core machine and
starved the services it was measuring. This client costs a few tens of microseconds a request.
"""

from __future__ import annotations

import asyncio
import contextlib


class KeepAliveClient:
    def __init__(self, host: str, port: int, *, size: int = 64) -> None:
        self._host, self._port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(size)

    async def post_json(self, path: str, body: bytes) -> int:
        """POST and return the status; raises OSError or asyncio.IncompleteReadError."""
        async with self._slots:
            reused = bool(self._idle)
            reader, writer = self._idle.pop() if reused else await self._connect()
            try:
                status, keep = await self._exchange(reader, writer, path, body)
            except ConnectionResetError:
                writer.close()
                if not reused:
                    raise
                # The server closed this idle keep-alive connection before our request
                # reached it (uvicorn's keep-alive timeout): send it again on a new one.
                reader, writer = await self._connect()
                status, keep = await self._exchange(reader, writer, path, body)
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer))
            else:
                writer.close()
            return status

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self._host, self._port)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, body: bytes
    ) -> tuple[int, bool]:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        first = await reader.readline()
        if not first:
            raise ConnectionResetError("the server closed the connection")
        status = int(first.split(b" ", 2)[1])
        length, keep = 0, True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        if length:
            await reader.readexactly(length)
        return status, keep

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        self._idle.clear()
