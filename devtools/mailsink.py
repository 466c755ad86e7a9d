"""A local SMTP sink: keeps every email it receives as a `.eml` file.

python -m devtools.mailsink [--host 127.0.0.1] [--port 1025] [--dir var/mail]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(content)
        return "250 OK saved as " + name


async def serve(host: str, port: int, folder: Path) -> None:
    handler = SaveToFolder(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, enable_SMTPUTF8=True), host, port)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"mail sink on {host}:{port}, saving to {folder.resolve()}", flush=True)
    await stop.wait()
    server.close()
    with contextlib.suppress(Exception):
        await server.wait_closed()


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.mailsink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default="var/mail")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.host, args.port, Path(args.dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
