"""Progress on stderr for steps that take more than a second, only when stderr is a terminal.

Nothing is drawn for a step that ends within ``DELAY`` seconds, nor when stderr is a pipe or a file
(CI logs, ``2> log``), so output that scripts read never changes. ``KGTOOL_PROGRESS=1`` forces it on
(to see it in a log) and ``KGTOOL_PROGRESS=0`` turns it off.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

DELAY = 1.0  # seconds before anything is drawn
INTERVAL = 0.1  # seconds between redraws


def enabled() -> bool:
    forced = os.environ.get("KGTOOL_PROGRESS")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Bar:
    """A counted step: ``advance()`` once per item; drawn as ``label  n/total  pct  elapsed``."""

    def __init__(self, label: str, total: int | None, *, show: bool) -> None:
        self.label, self.total, self.show = label, total, show
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._drawn = False

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.show:
            return
        now = time.monotonic()
        if now - self.started >= DELAY and now - self._drawn_at >= INTERVAL:
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self.started
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * 24)
            text = f"{self.label} [{'#' * filled}{'.' * (24 - filled)}] {self.done}/{self.total} {elapsed:.0f}s"
        else:
            text = f"{self.label}... {self.done} {elapsed:.0f}s" if self.done else f"{self.label}... {elapsed:.0f}s"
        sys.stderr.write("\r\x1b[2K" + text)
        sys.stderr.flush()
        self._drawn, self._drawn_at = True, now

    def close(self) -> None:
        if self._drawn:
            elapsed = time.monotonic() - self.started
            sys.stderr.write(f"\r\x1b[2K{self.label}: done in {elapsed:.1f}s\n")
            sys.stderr.flush()


@contextmanager
def bar(label: str, total: int | None = None) -> Iterator[Bar]:
    """A counted step (``total`` items, or unknown)."""
    shown = Bar(label, total, show=enabled())
    try:
        yield shown
    finally:
        shown.close()


@contextmanager
def step(label: str) -> Iterator[None]:
    """A step with no count (one library call): a line appears if it is still running after a second."""
    if not enabled():
        yield
        return
    shown = Bar(label, None, show=True)
    stop = threading.Event()

    def tick() -> None:
        if stop.wait(DELAY):
            return
        while not stop.is_set():
            shown._draw(time.monotonic())
            stop.wait(0.5)

    thread = threading.Thread(target=tick, name="kgtool-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        shown.close()
