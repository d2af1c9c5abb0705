"""Run code that must not reach the network, in a thread the kernel keeps off it.

kgtool runs queries written by people it does not trust (``/sparql`` clients, contributed check
files, ``kgtool query --file``). pyoxigraph follows ``SERVICE`` with an HTTP client of its own and
has no switch to turn that off, and rdflib's engine would call out too; the sandbox in
:mod:`kgtool.sparql` refuses such queries, and this module is the second lock: whatever a query
says, the thread that evaluates it cannot open a socket.

On Linux it uses seccomp (through libseccomp, via ``pyseccomp``): a filter loaded into one dedicated
thread makes ``socket``, ``connect``, ``sendto``/``sendmsg``/``sendmmsg`` and the io_uring calls fail
with ``EPERM`` there (seccomp filters are per thread; the rest of the process keeps its network, so
``--endpoint``, ``push`` and the server work as before). :func:`deny_process` loads the same filter
into a whole process (the server's query workers). Where seccomp is not available
(:data:`AVAILABLE` is False, with :data:`REASON`), code runs in the same thread, behind the sandbox
alone; the README's security model says so.
"""

from __future__ import annotations

import errno
import queue
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

DENIED_SYSCALLS = ("socket", "socketpair", "connect", "sendto", "sendmsg", "sendmmsg",
                   "io_uring_setup", "io_uring_enter", "io_uring_register")


def _load_filter() -> None:
    import pyseccomp

    flt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            flt.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            if name.startswith("io_uring"):  # an old libseccomp without io_uring: the kernel may lack it too
                continue
            raise
    flt.load()


def _probe() -> tuple[bool, str]:
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, OSError, RuntimeError) as exc:
        return False, f"seccomp is not available ({exc.__class__.__name__}: {exc})"
    return True, "seccomp"


AVAILABLE, REASON = _probe()


def _release_frames(exc: BaseException | None) -> None:
    """Drop the locals of the frames an exception (and its chain) holds: objects made in this thread
    (pyoxigraph's result iterators cannot leave the thread that made them) die here, not in the caller."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__


class _OfflineThread:
    """One daemon thread with the filter loaded, running submitted calls one at a time."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _main(self) -> None:
        try:
            _load_filter()
        except BaseException as exc:  # the thread must not run anything unguarded
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        while True:
            fn, args, kwargs, box, done = self._jobs.get()
            try:
                box.append((True, fn(*args, **kwargs)))
            except BaseException as exc:  # handed back to the caller, raised there
                _release_frames(exc)
                box.append((False, exc))
            finally:
                done.set()
                del fn, args, kwargs, box, done

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name="kgtool-offline", daemon=True)
                self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError(f"cannot start the network-less query thread: {self._error}")

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if threading.current_thread() is self._thread:  # already offline: nested calls run in place
            return fn(*args, **kwargs)
        self._start()
        box: list = []
        done = threading.Event()
        self._jobs.put((fn, args, kwargs, box, done))
        done.wait()
        ok, value = box[0]
        if ok:
            return value
        raise value.with_traceback(value.__traceback__)


_THREAD = _OfflineThread()


def offline(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, run where no socket can be opened (see the module's docstring).

    Calls from several threads are run one after another. Exceptions are raised in the caller."""
    if not AVAILABLE:
        return fn(*args, **kwargs)
    return _THREAD.call(fn, *args, **kwargs)


def deny_process() -> bool:
    """Load the filter into the calling thread, for a process that never needs the network again (call
    it before starting threads). Returns False where seccomp is not available."""
    if not AVAILABLE:
        return False
    _load_filter()
    return True
