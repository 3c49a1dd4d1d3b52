"""Virus scanning of uploads: the ``scan_attachment`` hook, and core's own scanner, clamd.

Every scanner a tenant's plugins offer is asked; one infected verdict refuses
the file.  A scanner that is configured but cannot answer (daemon down, its
stream limit exceeded) refuses the file too: an unchecked file is not taken.
Core's scanner speaks clamd's INSTREAM protocol (``clamdpy``) over the Unix
socket ``CLAMD_SOCKET`` or TCP ``CLAMD_HOST``:``CLAMD_PORT``; without either it
does not scan.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger(__name__)
CHUNK = 64 * 1024  # clamd's default StreamMaxLength is far larger; fewer, larger chunks are faster


@dataclass(frozen=True)
class Verdict:
    """What one scanner says of a file."""

    scanner: str
    infected: bool
    signature: str = ""  # the malware's name, when infected


class ScanUnavailable(RuntimeError):
    """A configured scanner could not decide; the file is refused rather than taken unchecked."""


def scan(tenant, filename: str, data: bytes) -> list[Verdict]:
    """Ask every scanner of the tenant's plugins; their verdicts (an empty list: nobody scans)."""
    from core.attachments.service import tenant_hooks

    results = tenant_hooks(tenant).scan_attachment(tenant=tenant, filename=filename, data=data)
    return [verdict for verdict in results if verdict is not None]


def _client():
    """A clamdpy client for the configured daemon, or None when none is configured."""
    import clamdpy

    config = current_app.config
    timeout = config["CLAMD_TIMEOUT"]
    if config["CLAMD_SOCKET"]:
        return clamdpy.ClamdUnixSocket(path=config["CLAMD_SOCKET"], timeout=timeout, max_chunk_size=CHUNK)
    if config["CLAMD_HOST"]:
        return clamdpy.ClamdNetworkSocket(host=config["CLAMD_HOST"], port=config["CLAMD_PORT"], timeout=timeout,
                                          max_chunk_size=CHUNK)
    return None


def clamd_verdict(data: bytes) -> Verdict | None:
    """clamd's verdict on ``data`` (INSTREAM), or None when no daemon is configured."""
    from clamdpy.exceptions import ClamdException

    client = _client()
    if client is None:
        return None
    try:
        result = client.instream(io.BytesIO(data))
    except (ClamdException, OSError) as error:
        log.warning("clamd could not scan an upload: %r", error)
        raise ScanUnavailable(f"clamd: {error!r}") from error
    if result.status == "FOUND":
        return Verdict("clamd", True, result.reason or "")
    if result.status != "OK":
        raise ScanUnavailable(f"clamd: {result.reason}")
    return Verdict("clamd", False)
