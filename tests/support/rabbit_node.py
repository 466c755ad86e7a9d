"""A RabbitMQ node of the test's own, so a fault test can stop the broker without touching
the machine's shared one (which other tests and CI are using)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.support.infra import amqp_url
from tests.support.processes import free_port
from tests.support.waiting import wait_for


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RabbitNode:
    def __init__(self) -> None:
        self.name = f"fault-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="rabbit-node-"))
        (self.base / "enabled_plugins").write_text("[].\n")
        # The machine's rabbitmq.conf pins the listener to 5672: this node gets its own.
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        shutil.chown(self.base, "rabbitmq", "rabbitmq")
        for child in self.base.iterdir():
            shutil.chown(child, "rabbitmq", "rabbitmq")

    @property
    def url(self) -> str:
        return amqp_url("/", port=self.port)

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
        }

    async def start(self) -> RabbitNode:
        await asyncio.to_thread(
            subprocess.run,
            ["rabbitmq-server", "-detached"],
            env=self._env(),
            check=True,
            capture_output=True,
            cwd="/tmp",
            timeout=60,
        )
        await wait_for(
            lambda: _port_open(self.port),
            timeout=60,
            interval=0.2,
            message=f"RabbitMQ node {self.name} listening",
        )
        return self

    async def stop(self) -> None:
        await asyncio.to_thread(
            subprocess.run,
            ["rabbitmqctl", "-n", self.name, "stop"],
            capture_output=True,
            timeout=60,
        )
        await wait_for(
            lambda: not _port_open(self.port),
            timeout=30,
            message=f"RabbitMQ node {self.name} stopped",
        )

    async def destroy(self) -> None:
        await self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
