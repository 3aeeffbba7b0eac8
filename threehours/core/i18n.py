"""Compile the committed .po catalogues to .mo, so no manual `compilemessages` step (or GNU
gettext) is needed: the CLI, the WSGI and ASGI modules and the test run call this before Django
loads translations.

The .mo files are not committed: five people appending to one .po would otherwise conflict on a
binary file at every merge, and a stale committed .mo would silently win over the .po."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def stale_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The .po files whose .mo is missing or older (what compile_messages would write)."""
    stale = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            stale.append(po_path)
    return stale


def compile_messages(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write every .mo that is missing or older than its .po; return the ones written."""
    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name.replace("-", "_"))
        # One temporary file per process: several server workers may compile at once, and
        # the rename makes whichever finishes last win with a complete file.
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        tmp.replace(mo_path)
        written.append(mo_path)
    return written


def compile_messages_at_start() -> None:
    """Compile what is missing or stale when a server process starts (`gunicorn config.wsgi`
    on a fresh clone would otherwise serve English under lang="zh-hans"). A read-only install
    whose .mo files were built beforehand must still start, so a failed write is only logged."""
    try:
        compile_messages()
    except OSError as exc:
        logging.getLogger(__name__).warning("Could not compile the translations: %s", exc)
