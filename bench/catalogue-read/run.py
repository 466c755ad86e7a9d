"""What a partner site's widget costs the catalogue: one event page, full (200) and revalidated
(304 with If-None-Match), and the public list, next to the machine's own ceiling for this
stack (GET /healthz: the same process, framework and client, no database).

    .venv/bin/python bench/catalogue-read/run.py [--seconds 5] [--concurrency 16]

Makes its own database (migrated, seeded with the demo programme), runs the catalogue as one
real uvicorn process on a free port, and drops the database after. The load generator runs
on the same machine, so the figures are what both together reach on these cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from devtools.seed import seed  # noqa: E402
from services.catalogue.settings import CatalogueSettings  # noqa: E402
from shared.migrations import migrate  # noqa: E402

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def load(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], seconds: float, workers: int
) -> tuple[float, list[float], set[int]]:
    latencies: list[float] = []
    statuses: set[int] = set()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(url, headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses.add(response.status_code)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return len(latencies) / (time.perf_counter() - started), latencies, statuses


def row(name: str, rate: float, latencies: list[float], statuses: set[int], size: int) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return (
        f"{name:<34} {rate:8.0f} req/s   p50 {statistics.median(ms):6.1f} ms   "
        f"p95 {p95:6.1f} ms   {size:6d} B   status {sorted(statuses)}"
    )


async def scenarios(base: str, seconds: float, workers: int) -> None:
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        page = "/events/driving-place-leadership"
        first = await client.get(page)
        etag = first.headers["etag"]
        listing = await client.get("/events", params={"audience": "public"})
        cases = [
            ("ceiling: GET /healthz", "/healthz", {}, len((await client.get("/healthz")).content)),
            ("event page, full (200)", page, {}, len(first.content)),
            ("event page, If-None-Match (304)", page, {"If-None-Match": etag}, 0),
            ("public list ?audience=public", "/events?audience=public", {}, len(listing.content)),
        ]
        print(f"{seconds:.0f} s each, {workers} concurrent clients, one catalogue process")
        for name, url, headers, size in cases:
            await load(client, url, headers, 1, workers)  # warm up
            rate, latencies, statuses = await load(client, url, headers, seconds, workers)
            print(row(name, rate, latencies, statuses, size))


async def prepare(url: str) -> None:
    await migrate("catalogue", url)
    await seed(CatalogueSettings(database_url=url))


async def drop(name: str) -> None:
    conn = await asyncpg.connect(database="postgres", **PG)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def start_catalogue(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "RUN_WORKERS": "false", "LOG_LEVEL": "WARNING"}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "services.catalogue.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.2)


def main(seconds: float, workers: int) -> None:
    name = f"t_bench_catalogue_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    process = None
    try:
        asyncio.run(prepare(url))
        process, base = start_catalogue(url)
        asyncio.run(scenarios(base, seconds, workers))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=15)
        asyncio.run(drop(name))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    main(args.seconds, args.concurrency)
