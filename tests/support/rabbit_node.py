"""RabbitMQ nodes of the test's own, so a fault test can stop a broker without touching the
machine's shared one (which other tests and CI are using): one node, or a three-node cluster.

Each node has its own name, AMQP and distribution ports (free ones), and data and log folders
in a temporary directory; all run as the `rabbitmq` user and so share its Erlang cookie, which
is what lets them cluster. Nothing here ever names the machine's own node."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import Any

from tests.support.infra import BrokerTarget, amqp_url
from tests.support.processes import free_port
from tests.support.waiting import wait_for


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _ctl(*args: str, timeout: float = 60) -> str:
    done = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=timeout, cwd="/tmp"
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stdout} {done.stderr}")
    return done.stdout


def node_pids(name: str) -> list[int]:
    """The OS processes of the node called `name` (its beam.smp and helpers), found by the
    RABBITMQ_NODENAME each was started with: `rabbitmqctl stop` can fail or time out on a
    loaded machine, or find a node still booting, and only the processes say it is gone."""
    wanted = f"RABBITMQ_NODENAME={name}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if wanted in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _end_processes(name: str, *, grace: float) -> None:
    """Wait up to `grace` seconds for the node's processes to exit, then kill what is left."""
    deadline = time.monotonic() + grace
    while (pids := node_pids(name)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if pids:
        _kill(pids)
        deadline = time.monotonic() + 10
        while node_pids(name) and time.monotonic() < deadline:
            time.sleep(0.1)


# Every node this process started and has not seen stopped: the last line of defence if a
# teardown never ran (an interrupted run), so no test leaves a broker node behind.
_LIVE: dict[str, RabbitNode] = {}


@atexit.register
def kill_leftover_nodes() -> list[str]:
    """Kill every node this process started that is still running; returns their names."""
    left = [name for name in list(_LIVE) if node_pids(name)]
    for name in left:
        _kill(node_pids(name))
    return left


class RabbitNode:
    def __init__(self, prefix: str = "fault") -> None:
        self.name = f"{prefix}-{uuid.uuid4().hex[:8]}@localhost"
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

    def target(self) -> BrokerTarget:
        """This node as the broker of a session's infrastructure (see create_infra)."""
        return BrokerTarget(self.name, lambda vhost: amqp_url(vhost, port=self.port))

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
        _LIVE[self.name] = self
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
        """Stop the node (as an operator would) and return once its processes have exited;
        if the graceful stop fails or hangs, they are killed: a stopped node is gone either way."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            await asyncio.to_thread(
                subprocess.run,
                ["rabbitmqctl", "-n", self.name, "stop"],
                capture_output=True,
                timeout=60,
                cwd="/tmp",
            )
        await asyncio.to_thread(_end_processes, self.name, grace=30)
        await wait_for(
            lambda: not _port_open(self.port),
            timeout=30,
            message=f"RabbitMQ node {self.name} stopped",
        )

    def running(self) -> bool:
        return bool(node_pids(self.name))

    async def destroy(self) -> None:
        try:
            await self.stop()
        finally:
            _LIVE.pop(self.name, None)
            shutil.rmtree(self.base, ignore_errors=True)


class RabbitCluster:
    """Three (or `size`) nodes joined into one cluster with `rabbitmqctl join_cluster`."""

    def __init__(self, size: int = 3) -> None:
        tag = uuid.uuid4().hex[:6]
        self.nodes = [RabbitNode(prefix=f"cluster{tag}-{i}") for i in range(size)]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def amqp_url(self, vhost: str) -> str:
        """The setting a service gets: every node, comma separated (see shared.messaging)."""
        first = amqp_url(vhost, port=self.nodes[0].port)
        return ",".join([first, *(f"127.0.0.1:{node.port}" for node in self.nodes[1:])])

    def target(self) -> BrokerTarget:
        """The cluster as the broker of a session's infrastructure: services get every node."""
        return BrokerTarget(self.nodes[0].name, self.amqp_url)

    def node(self, name: str) -> RabbitNode:
        return next(node for node in self.nodes if node.name == name)

    async def start(self) -> RabbitCluster:
        first, *others = self.nodes
        await _all(node.start() for node in self.nodes)

        async def join(node: RabbitNode) -> None:
            for step in (("stop_app",), ("join_cluster", first.name), ("start_app",)):
                await asyncio.to_thread(_ctl, "-n", node.name, *step, timeout=120)

        # One after the other: two nodes joining at once failed here once in a full run
        # (start_app: Mnesia's badmatch while the other join rewrote the cluster's schema).
        for node in others:
            await join(node)
        await wait_for(
            lambda: len(self.running()) == len(self.nodes),
            timeout=60,
            interval=0.5,
            message="every node running in the cluster",
        )
        return self

    def running(self) -> list[str]:
        """The cluster's running nodes, as the first live node sees them."""
        for node in self.nodes:
            if not _port_open(node.port):
                continue
            try:
                status = _ctl(
                    "-n", node.name, "-q", "cluster_status", "--formatter", "json", timeout=30
                )
            except (RuntimeError, subprocess.TimeoutExpired):
                continue
            import json

            return list(json.loads(status).get("running_nodes", []))
        return []

    def ctl(self, *args: str) -> str:
        """rabbitmqctl against a live node of the cluster."""
        for node in self.nodes:
            if _port_open(node.port):
                return _ctl("-n", node.name, *args)
        raise RuntimeError("no node of the cluster is running")

    def add_vhost(self, vhost: str) -> None:
        self.ctl("add_vhost", vhost)
        self.ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")

    def leaders(self, vhost: str) -> dict[str, str]:
        """Quorum queue name -> the node that leads it."""
        out = self.ctl("-q", "list_queues", "-p", vhost, "name", "leader", "--no-table-headers")
        return dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)

    async def restart_stopped(self) -> None:
        """Start any node that was stopped; it rejoins with its data (and its queue replicas)."""
        stopped = [node for node in self.nodes if not node.running()]
        await _all(node.start() for node in stopped)
        if stopped:
            await wait_for(
                lambda: len(self.running()) == len(self.nodes),
                timeout=60,
                interval=0.5,
                message="the stopped nodes back in the cluster",
            )

    async def destroy(self) -> None:
        await asyncio.gather(*(node.destroy() for node in self.nodes), return_exceptions=True)


async def _all(steps: Iterable[Coroutine[Any, Any, object]]) -> None:
    """Run steps at once and wait for every one, then raise the first failure: a plain gather
    returns at the first failure and leaves the others running, unowned, past the test."""
    results = await asyncio.gather(*steps, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


async def _serve_cluster() -> None:
    """`python -m tests.support.rabbit_node`: a cluster for measuring by hand (deploy/SCALING.md),
    until Ctrl-C; it prints what to point a bench at."""
    cluster = await RabbitCluster().start()
    try:
        print(f"RABBITMQ_NODENAME={cluster.nodes[0].name} TEST_AMQP_PORT={cluster.nodes[0].port}")
        print(f"AMQP_URL={cluster.amqp_url('/')}", flush=True)
        await asyncio.Event().wait()
    finally:
        await cluster.destroy()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_cluster())
