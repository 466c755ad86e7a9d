"""A small pool of persistent SMTP connections, each owned by one worker coroutine.

Callers submit (recipient, MIME bytes or a function that composes them, priority) and await the
outcome. Workers take the most urgent job first (transactional emails before campaign ones),
wait for a token from the rate limiter, compose the message if it is not composed yet, and
carry it over their own connection, which they open lazily, reuse, renew after
`max_per_connection` emails and close when idle. A job whose sender's claim is about to run
out (`send_by`, on the monotonic clock) is not started: another sender may take it over.

Connections use STARTTLS, implicit TLS or neither (`SMTP_SECURITY`), and log in when a
username is set. The pool also knows whether the server is reachable: after a connection-level
failure it is not, until a connection succeeds again (`probe()` tries one without sending).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Literal

import aiosmtplib
from prometheus_client import Counter, Histogram

from services.notifications.domain.outcomes import Outcome, of_error
from services.notifications.sending import transaction
from services.notifications.sending.ratelimit import TokenBucket
from shared.logging import background_task, get_logger

log = get_logger(__name__)

SMTP_SENDS = Counter("smtp_sends_total", "SMTP transactions, by outcome", ["outcome"])
SMTP_SECONDS = Histogram(
    "smtp_send_seconds",
    "Time of one SMTP transaction (MAIL to the answer to DATA)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5),
)
# From submit to the start of the SMTP transaction (pool queue and rate limiter): with the
# booking-event lag and the transaction itself, the parts of a booking-to-email delay.
SMTP_WAIT_SECONDS = Histogram(
    "smtp_wait_seconds",
    "Time an email waited for a connection and the rate limiter",
    ["priority"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)

# Answers about this email, on a connection that stays usable after a RSET.
_ANSWERED = (
    aiosmtplib.SMTPRecipientRefused,
    aiosmtplib.SMTPDataError,
    aiosmtplib.SMTPSenderRefused,
)

TRANSACTIONAL, CAMPAIGN = 0, 1
_PRIORITY_NAMES = {TRANSACTIONAL: "transactional", CAMPAIGN: "campaign"}


@dataclass(order=True)
class _Job:
    priority: int
    seq: int
    recipient: str = field(compare=False)
    message: bytes | Callable[[], bytes] = field(compare=False)
    future: asyncio.Future[Outcome] = field(compare=False)
    send_by: float = field(compare=False, default=float("inf"))
    submitted: float = field(default_factory=time.perf_counter, compare=False)


@dataclass(frozen=True)
class PoolConfig:
    host: str
    port: int
    timeout: float
    connections: int
    max_per_connection: int
    idle_seconds: float
    mail_from: str
    security: Literal["starttls", "tls", "none"] = "none"
    username: str | None = None
    password: str | None = None
    # CA bundle to trust for the server's certificate (else the system's).
    ca_file: str | None = None


class _Connection:
    def __init__(self, pool: SmtpPool) -> None:
        self._pool = pool
        self._smtp: aiosmtplib.SMTP | None = None
        self._count = 0

    @property
    def is_open(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def _open(self) -> aiosmtplib.SMTP:
        await self.close()
        self._smtp = await self._pool.connect()
        self._count = 0
        return self._smtp

    async def send(self, recipient: str, raw: bytes) -> Outcome:
        pool = self._pool
        try:
            smtp = self._smtp if self.is_open else await self._open()
            assert smtp is not None
            if self._count >= pool.config.max_per_connection:
                smtp = await self._open()
            try:
                async with transaction.deadline(pool.config.timeout):
                    await transaction.mail(smtp, pool.sender, pool.sender_line)
            except aiosmtplib.SMTPServerDisconnected:
                # A pooled connection the server closed while idle: nothing of this email
                # reached it, so one fresh connection and a second try are safe.
                smtp = await self._open()
                async with transaction.deadline(pool.config.timeout):
                    await transaction.mail(smtp, pool.sender, pool.sender_line)
            async with transaction.deadline(pool.config.timeout):
                answer = await transaction.rcpt_and_data(smtp, recipient, raw)
            self._count += 1
            return Outcome("sent", answer.message)
        except _ANSWERED as exc:
            await self._reset()
            return of_error(exc)
        except TimeoutError as exc:
            await self.close()
            if not isinstance(exc, aiosmtplib.SMTPException):  # the transaction's deadline
                exc = aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response")
            return of_error(exc)
        except Exception as exc:
            await self.close()
            return of_error(exc)

    async def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            await self._smtp.rset()
        except Exception:
            await self.close()

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(smtp.quit(), timeout=1)
            smtp.close()


async def _greet(smtp: aiosmtplib.SMTP) -> None:
    """EHLO (HELO if the server knows no better) where connect() did not say it: the
    transactions (transaction.py) assume a greeted connection, as aiosmtplib's `mail` would
    have greeted lazily."""
    if not smtp.is_ehlo_or_helo_needed:
        return
    try:
        await smtp.ehlo()
    except aiosmtplib.SMTPHeloError:
        if not smtp.is_connected:
            raise
        await smtp.helo()


class SmtpPool:
    def __init__(self, config: PoolConfig, bucket: TokenBucket) -> None:
        self.config = config
        self._bucket = bucket
        self.sender = parseaddr(config.mail_from)[1]
        self.sender_line = b"MAIL FROM:" + transaction.envelope_address(self.sender) + b"\r\n"
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._workers: list[asyncio.Task[None]] = []
        # After a failed connect, fail fast for a moment instead of every job trying again.
        self._down_until = 0.0
        self._down_error = ""
        self.reachable = True
        self._tls = self._tls_context()

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.config.security == "none":
            return None
        return ssl.create_default_context(cafile=self.config.ca_file)

    def start(self) -> None:
        self._workers = [
            background_task(self._work(), name=f"smtp-{n}") for n in range(self.config.connections)
        ]

    def submit(
        self,
        recipient: str,
        message: bytes | Callable[[], bytes],
        *,
        priority: int,
        send_by: float = float("inf"),
    ) -> asyncio.Future[Outcome]:
        """`message` may be a function that composes it: it is then called by the worker just
        before the transaction. A campaign batch composed up front held the event loop for
        ~5 ms per 50 emails, while every connection's answer waited behind it."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(priority, next(self._seq), recipient, message, future, send_by))
        return future

    async def connect(self) -> aiosmtplib.SMTP:
        if time.monotonic() < self._down_until:
            raise aiosmtplib.SMTPConnectError(f"mail server unreachable: {self._down_error}")
        config = self.config
        smtp = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            timeout=config.timeout,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            tls_context=self._tls,
            username=config.username,
            password=config.password,
        )
        try:
            # With start_tls, connect() says EHLO, upgrades, and logs in after the upgrade.
            await smtp.connect()
            await _greet(smtp)
        except Exception as exc:
            self._down_until, self._down_error = time.monotonic() + 0.5, str(exc)
            self.reachable = False
            smtp.close()
            raise
        self.reachable = True
        return smtp

    async def probe(self) -> bool:
        """Whether the server takes a connection now (nothing is sent)."""
        try:
            smtp = await self.connect()
        except Exception:
            return False
        with contextlib.suppress(Exception):
            await asyncio.wait_for(smtp.quit(), timeout=1)
        smtp.close()
        return True

    async def _work(self) -> None:
        connection = _Connection(self)
        try:
            while True:
                try:
                    # Not asyncio.wait_for: on 3.11 a cancel (stop) arriving as the get
                    # completes can be lost, and stop() then waited for this task forever.
                    async with asyncio.timeout(self.config.idle_seconds):
                        job = await self._queue.get()
                except TimeoutError:
                    await connection.close()
                    continue
                if not job.future.done():
                    await self._run(job, connection)
        finally:
            await connection.close()

    async def _run(self, job: _Job, connection: _Connection) -> None:
        if time.monotonic() > job.send_by:
            job.future.set_result(Outcome("lapsed", "the claim ran out before the send"))
            return
        try:
            raw = job.message() if callable(job.message) else job.message
        except Exception as exc:
            job.future.set_result(
                Outcome("unsendable", f"could not compose the email: {type(exc).__name__}: {exc}")
            )
            return
        try:
            await self._bucket.acquire()
            started = time.perf_counter()
            SMTP_WAIT_SECONDS.labels(_PRIORITY_NAMES[job.priority]).observe(started - job.submitted)
            outcome = await connection.send(job.recipient, raw)
        except asyncio.CancelledError:
            if not job.future.done():
                job.future.set_result(Outcome("unavailable", "the sender stopped"))
            raise
        SMTP_SECONDS.observe(time.perf_counter() - started)
        SMTP_SENDS.labels(outcome.kind).inc()
        if outcome.kind == "unavailable":
            self.reachable = False
        if not job.future.done():
            job.future.set_result(outcome)

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_result(Outcome("unavailable", "the sender stopped"))
