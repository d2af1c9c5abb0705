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

import contextlib
import contextvars
import errno
import os
import pickle
import queue
import select
import signal
import threading
import time
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

    def __init__(self, guarded: bool = True) -> None:
        self.guarded = guarded
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _main(self) -> None:
        try:
            if self.guarded:
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
        deadline = _DEADLINE.get()
        if not done.wait(None if deadline is None else max(deadline[0] - time.monotonic(), 0)):
            _abandon(self)
            raise TimeoutError(deadline[1])
        ok, value = box[0]
        if ok:
            return value
        raise value.with_traceback(value.__traceback__)


_THREAD = _OfflineThread()
_PLAIN = _OfflineThread(guarded=False)
_DEADLINE: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("kgtool_deadline", default=None)


def _abandon(thread: _OfflineThread) -> None:
    """A call ran over its time limit: leave its thread to finish alone (nothing can stop pyoxigraph
    mid-evaluation in-process) and give later calls a fresh one."""
    global _THREAD, _PLAIN
    if _THREAD is thread:
        _THREAD = _OfflineThread()
    elif _PLAIN is thread:
        _PLAIN = _OfflineThread(guarded=False)


@contextlib.contextmanager
def time_limit(seconds: float | None):
    """Within this block, :func:`offline` calls fail with :class:`TimeoutError` once ``seconds`` have
    passed. The evaluation itself is not stopped: its thread is abandoned (it runs on until it ends,
    or until the process does). ``kgtool query`` is one process per query, so its ``--timeout``
    ends the work; a long-running service should use the server's worker processes, which are killed."""
    if seconds is None:
        yield
        return
    token = _DEADLINE.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def offline(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, run where no socket can be opened (see the module's docstring), within
    the :func:`time_limit` in force.

    Calls from several threads are run one after another. Exceptions are raised in the caller."""
    if _IN_CHILD:  # a killable() child: the whole process is already off the network
        return fn(*args, **kwargs)
    if not AVAILABLE:
        if _DEADLINE.get() is not None:  # no guarded thread: a plain one, so the limit still holds
            return _PLAIN.call(fn, *args, **kwargs)
        return fn(*args, **kwargs)
    return _THREAD.call(fn, *args, **kwargs)


_IN_CHILD = False


def killable(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Like :func:`offline`, for code that can hold the interpreter lock for a long time (Python's
    regular expressions, in rdflib's SPARQL engine and in pySHACL, cannot be interrupted from another
    thread). Within a :func:`time_limit` the call runs in a forked child process, off the network,
    that is killed when the limit passes; its result (or exception) comes back pickled. Without a
    limit, or without ``fork``, it is :func:`offline`."""
    deadline = _DEADLINE.get()
    if deadline is None or _IN_CHILD or not hasattr(os, "fork"):
        return offline(fn, *args, **kwargs)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one thread (the caller's), filter loaded, answer written, gone
        _child(read_end, write_end, fn, args, kwargs)
    os.close(write_end)
    chunks: list[bytes] = []
    try:
        while True:
            remaining = deadline[0] - time.monotonic()
            if remaining <= 0 or not select.select([read_end], [], [], remaining)[0]:
                os.kill(pid, signal.SIGKILL)
                raise TimeoutError(deadline[1])
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if not chunks:
        from .errors import QueryExecutionError

        raise QueryExecutionError(f"the evaluation's process ended without an answer (wait status {status})")
    ok, value = pickle.loads(b"".join(chunks))
    if ok:
        return value
    raise value


def _child(read_end: int, write_end: int, fn: Callable, args: tuple, kwargs: dict) -> None:
    global _IN_CHILD
    status = 0
    try:
        _IN_CHILD = True
        os.close(read_end)
        if AVAILABLE:
            _load_filter()
        try:
            payload = pickle.dumps((True, fn(*args, **kwargs)))
        except BaseException as exc:
            _release_frames(exc)
            try:
                payload = pickle.dumps((False, exc))
                pickle.loads(payload)
            except Exception:  # an exception that does not survive pickling: its text does
                payload = pickle.dumps((False, RuntimeError(f"{exc.__class__.__name__}: {exc}")))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view):]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def deny_process() -> bool:
    """Load the filter into the calling thread, for a process that never needs the network again (call
    it before starting threads). Returns False where seccomp is not available."""
    if not AVAILABLE:
        return False
    _load_filter()
    return True
