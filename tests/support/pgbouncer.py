"""PgBouncer in transaction mode, a process the test owns, in front of the machine's
PostgreSQL (Debian's `pgbouncer` package; `make test` installs it when missing)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.support.infra import PG_HOST, PG_PORT
from tests.support.processes import free_port
from tests.support.waiting import wait_for


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class PgBouncer:
    def __init__(self, *, pool_size: int = 10) -> None:
        exe = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(exe).exists():
            raise RuntimeError("pgbouncer is not installed: run `make pgbouncer` (or make test)")
        self.exe = exe
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        (self.base / "userlist.txt").write_text('"postgres" ""\n')
        (self.base / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={PG_HOST} port={PG_PORT}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.base / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\n"
            "max_client_conn = 500\n"
            "admin_users = postgres\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.base / 'pgbouncer.log'}\n"
        )
        # PgBouncer refuses to run as root.
        shutil.chown(self.base, "postgres", "postgres")
        for child in self.base.iterdir():
            shutil.chown(child, "postgres", "postgres")
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            ["runuser", "-u", "postgres", "--", self.exe, str(self.base / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def start(self) -> PgBouncer:
        self.process = self._spawn()
        await wait_for(lambda: _listening(self.port), timeout=20, message="pgbouncer listening")
        return self

    def show(self, what: str) -> list[dict[str, str]]:
        """A table of PgBouncer's admin console (SHOW STATS, SHOW POOLS), through psql: the
        console speaks only the simple query protocol."""
        done = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "pgbouncer",
                "-A",
                "-F",
                "\t",
                "-P",
                "footer=off",
                "-c",
                f"SHOW {what}",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        header, *rows = done.stdout.splitlines()
        names = header.split("\t")
        return [dict(zip(names, row.split("\t"), strict=False)) for row in rows]

    def log(self) -> str:
        path = self.base / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)
