"""A loopback TCP proxy that can be cut and restored, to take PostgreSQL or Redis away from
a process for real: cutting closes every open connection and refuses new ones on the same port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpProxy:
    """127.0.0.1:<port> -> a Unix socket path or (host, port)."""

    def __init__(self, target: str | tuple[str, int], port: int | None = None):
        self.target = target
        self.port = port or free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.base_events.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def start(self) -> TcpProxy:
        self.thread.start()
        self.restore()
        return self

    def restore(self) -> None:
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(10)

    def cut(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cut(), self.loop).result(10)

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def _listen(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _open_target(self):
        if isinstance(self.target, str):
            return await asyncio.open_unix_connection(self.target)
        return await asyncio.open_connection(*self.target)

    async def _accept(self, client_reader, client_writer) -> None:
        try:
            target_reader, target_writer = await self._open_target()
        except OSError:
            client_writer.transport.abort()
            return
        self.writers.update({client_writer, target_writer})
        await asyncio.gather(
            self._pipe(client_reader, target_writer), self._pipe(target_reader, client_writer)
        )
        self.writers.difference_update({client_writer, target_writer})

    async def _pipe(self, reader, writer) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            writer.close()
