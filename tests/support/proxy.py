"""A TCP proxy a test owns: put it between a service and a real server, then cut and restore
the line to simulate an outage without touching the shared server."""

from __future__ import annotations

import asyncio
import contextlib


class CuttableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        # One task per open connection (the server's handler): a cut or stop ends them, or a
        # pipe held at a stalled gate would outlive the test.
        self._handlers: set[asyncio.Task[None]] = set()
        # Cleared by `stall`: the server's answers are held back (a node that took a publish
        # and then went silent, so its confirm never comes).
        self._answering = asyncio.Event()
        self._answering.set()

    async def start(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            await self._pipe_both(reader, writer)
        finally:
            self._handlers.discard(handler)

    async def _pipe_both(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}

        async def pipe(
            src: asyncio.StreamReader, dst: asyncio.StreamWriter, gate: asyncio.Event | None
        ) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    if gate is not None:
                        await gate.wait()
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        try:
            await asyncio.gather(
                pipe(reader, up_writer, None), pipe(up_reader, writer, self._answering)
            )
        finally:
            self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self._writers.clear()
        handlers = list(self._handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def stall(self) -> None:
        """Keep passing what the client sends, but hold back everything the server answers."""
        self._answering.clear()

    async def restore(self) -> None:
        self._answering.set()
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        await self.cut()
        self._answering.set()
