"""Throwaway real SPARQL servers for integration tests: Oxigraph and Virtuoso 7.

* :func:`start_oxigraph` -- ``oxigraph serve`` (PyPI ``oxigraph``; binary next to
  ``sys.executable`` or on ``PATH``), in-memory, loopback only.
* :func:`start_virtuoso` -- ``virtuoso-t`` (Debian ``virtuoso-opensource-7-bin``) with a
  fresh database and a generated ``virtuoso.ini`` in *workdir*, loopback only.

Both return a :class:`Server` describing the endpoints; ``Server.stop()`` ends the process
(SIGTERM, then SIGKILL after a grace period).  Servers still running at interpreter exit
are stopped by an ``atexit`` hook.  If a server does not become ready, its process is
killed and :class:`RuntimeError` is raised with the tail of its log.

Endpoints and auth (checked against oxigraph 0.5.13 and Virtuoso 07.20.3229 = 7.2.5.1):

==============  ===========  ================  ===========================================
server          query_url    update_url        store_url (Graph Store Protocol, ?graph=IRI)
==============  ===========  ================  ===========================================
oxigraph        ``/query``   ``/update``       ``/store`` -- no auth
virtuoso        ``/sparql``  ``/sparql``       ``/sparql-graph-crud`` -- no auth (start-up
                                               runs ``GRANT SPARQL_UPDATE TO "SPARQL"``)
virtuoso with   ``/sparql``  ``/sparql-auth``  ``/sparql-graph-crud-auth`` -- HTTP Digest
gsp_auth=True                                  ``dba:dba`` (no GRANT)
==============  ===========  ================  ===========================================

``Server.store_auth`` / ``Server.auth_scheme`` apply to ``store_url`` *and* ``update_url``;
``Server.opener()`` returns a ``urllib`` opener with the right auth handler (Digest made
pre-emptive: plain urllib Digest sends a large PUT body into Virtuoso's 401, which closes
the connection -> ``BrokenPipeError``, intermittently).  Virtuoso's GSP has no default
graph: always use ``?graph=IRI`` (:meth:`Server.graph_url`).  Virtuoso's query default
graph is the union of all graphs (~2,500 system triples): scope queries with the
``default-graph-uri=IRI`` protocol parameter (honoured by both servers), ``FROM`` or
``GRAPH``.  See ``tests/support/README.md`` for quirks and timings.

Standard library only; no pytest import.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Server",
    "free_port",
    "isql",
    "oxigraph_binary",
    "start_oxigraph",
    "start_virtuoso",
    "virtuoso_available",
    "wait_http",
]

VIRTUOSO_BIN = "/usr/bin/virtuoso-t"
ISQL_BIN = "/usr/bin/isql-vt"
VIRTUOSO_USER = ("dba", "dba")  # account of every new Virtuoso database

_ASK = "?query=" + urllib.parse.quote("ASK {}")
_LOG_TAIL_LINES = 40
_running: dict[int, Server] = {}


# --------------------------------------------------------------------------- helpers
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, *, proc: subprocess.Popen | None = None) -> None:
    """Poll ``GET url`` until it answers 2xx.

    Raises ``TimeoutError`` after *timeout* seconds, or ``RuntimeError`` at once if
    *proc* (the server process, optional) has exited meanwhile.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    last: object = None
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server process exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                resp.read()
                if 200 <= resp.status < 300:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except (OSError, urllib.error.URLError) as e:  # refused, reset, timeout
            last = e
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} not ready after {timeout} s (last: {last})")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def _tail(path: Path, n: int = _LOG_TAIL_LINES) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        return f"<no log: {e}>"
    return "\n".join(lines[-n:])


def _kill(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM the process, SIGKILL it after *grace* seconds; always reap it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _popen(cmd: list[str], log_path: Path, cwd: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # no terminal signals from the test runner
        )


# --------------------------------------------------------------------------- Server
class _PreemptiveDigestAuthHandler(urllib.request.HTTPDigestAuthHandler):
    """HTTPDigestAuthHandler that reuses the last challenge for later requests."""

    _challenge: dict[str, str] | None = None

    def retry_http_digest_auth(self, req, auth):  # type: ignore[override]
        _token, challenge = auth.split(" ", 1)
        self._challenge = urllib.request.parse_keqv_list(
            filter(None, urllib.request.parse_http_list(challenge))
        )
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):  # type: ignore[override]
        if self._challenge is not None and not req.has_header("Authorization"):
            auth = self.get_authorization(req, self._challenge)
            if auth:
                req.add_unredirected_header("Authorization", f"Digest {auth}")
        return req

    https_request = http_request


@dataclass
class Server:
    """A running SPARQL server (see module docstring for the endpoints)."""

    name: str  # "oxigraph" | "virtuoso"
    pid: int
    base_url: str  # http://127.0.0.1:PORT
    query_url: str  # SPARQL query endpoint (no auth on either server)
    update_url: str | None  # SPARQL update endpoint (uses store_auth)
    store_url: str  # Graph Store Protocol endpoint; append ?graph=IRI (graph_url())
    store_auth: tuple[str, str] | None  # (user, password) for store_url and update_url
    auth_scheme: str | None  # "digest" | "basic" | None
    workdir: Path
    log_path: Path | None = None
    sql_port: int | None = None  # Virtuoso only: for isql()
    _proc: subprocess.Popen | None = field(default=None, repr=False, compare=False)

    def graph_url(self, graph_iri: str) -> str:
        """GSP URL of one named graph: ``store_url?graph=<percent-encoded IRI>``."""
        return f"{self.store_url}?graph={urllib.parse.quote(graph_iri, safe='')}"

    def opener(self) -> urllib.request.OpenerDirector:
        """A urllib opener that authenticates to store_url/update_url when needed.

        For Digest the opener is primed with one small authenticated GET, and later
        requests carry the ``Authorization`` header pre-emptively (nonce reused with an
        increasing ``nc``), so large request bodies are sent once and never into a 401.
        """
        if self.store_auth is None:
            return urllib.request.build_opener()
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, self.base_url + "/", *self.store_auth)
        if self.auth_scheme == "basic":
            return urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(mgr))
        if self.auth_scheme != "digest":
            raise ValueError(f"unknown auth_scheme {self.auth_scheme!r}")
        opener = urllib.request.build_opener(_PreemptiveDigestAuthHandler(mgr))
        probe = self.graph_url("urn:x-kgtool-test:auth-probe")
        with contextlib.suppress(urllib.error.HTTPError):  # 404 after auth is fine
            with opener.open(urllib.request.Request(probe, method="GET"), timeout=30) as r:
                r.read()
        return opener

    @property
    def running(self) -> bool:
        if self._proc is not None:
            return self._proc.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after *grace* seconds. Idempotent."""
        _running.pop(self.pid, None)
        if self._proc is not None:
            _kill(self._proc, grace)
            return
        # no Popen handle (e.g. Server rebuilt from its fields): signal the pid directly
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                with contextlib.suppress(ChildProcessError):  # reap if it is our child
                    if os.waitpid(self.pid, os.WNOHANG)[0] == self.pid:
                        return
                os.kill(self.pid, 0)
                time.sleep(0.05)
            os.kill(self.pid, signal.SIGKILL)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    for server in list(_running.values()):
        with contextlib.suppress(Exception):
            server.stop(grace=5.0)


def _log_size(log_path: Path) -> int:
    try:
        return log_path.stat().st_size
    except OSError:
        return 0


def _port_in_use(log_path: Path, since: int) -> bool:
    """Did the attempt that started writing at offset *since* fail on a taken port?"""
    try:
        with open(log_path, "rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", "replace").lower()
    except OSError:
        return False
    return "address already in use" in text or "failed to start listening" in text


# --------------------------------------------------------------------------- Oxigraph
def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary: next to ``sys.executable`` first, then PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("oxigraph")


def start_oxigraph(workdir: Path, *, timeout: float = 30, attempts: int = 3) -> Server:
    """Start ``oxigraph serve`` (in-memory) on a free loopback port.

    Log: ``workdir/oxigraph.log``. Retries with a new port if the port was taken.
    """
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("oxigraph binary not found (pip install oxigraph)")
    workdir = Path(workdir).absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "oxigraph.log"
    for attempt in range(attempts):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        since = _log_size(log_path)
        proc = _popen([binary, "serve", "--bind", f"127.0.0.1:{port}"], log_path, workdir)
        try:
            wait_http(f"{base}/query{_ASK}", timeout, proc=proc)
        except (RuntimeError, TimeoutError) as e:
            _kill(proc, 5.0)
            if attempt + 1 < attempts and _port_in_use(log_path, since):
                continue
            raise RuntimeError(
                f"oxigraph did not start ({e}); tail of {log_path}:\n{_tail(log_path)}"
            ) from None
        server = Server(
            name="oxigraph",
            pid=proc.pid,
            base_url=base,
            query_url=f"{base}/query",
            update_url=f"{base}/update",
            store_url=f"{base}/store",
            store_auth=None,
            auth_scheme=None,
            workdir=workdir,
            log_path=log_path,
            _proc=proc,
        )
        _running[proc.pid] = server
        return server
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- Virtuoso
def virtuoso_available() -> bool:
    return os.access(VIRTUOSO_BIN, os.X_OK)


_VIRTUOSO_INI = """\
; generated by tests/support/servers.py -- throwaway test database
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort         = 127.0.0.1:{sql_port}
ServerThreads      = 10
CheckpointInterval = 0
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
MaxQueryMem        = 256M
DirsAllowed        = ., {d}
MaxSortedTopRows   = {sorted_rows}

[HTTPServer]
ServerPort         = 127.0.0.1:{http_port}
ServerRoot         = {d}
ServerThreads      = 5
MaxKeepAlives      = 10
KeepAliveTimeout   = 10

[SPARQL]
ResultSetMaxRows           = {max_rows}
MaxQueryExecutionTime      = {query_timeout}
MaxQueryCostEstimationTime = 0
"""


def start_virtuoso(
    workdir: Path,
    *,
    timeout: float = 60,
    max_rows: int = 1_000_000,
    query_timeout: int = 60,
    gsp_auth: bool = False,
    attempts: int = 3,
) -> Server:
    """Start ``virtuoso-t +foreground`` on a new database in *workdir*.

    Writes ``workdir/virtuoso.ini`` (absolute paths; database files in *workdir*; SQL and
    HTTP ports on 127.0.0.1). Logs: ``workdir/virtuoso.out`` (stdout+stderr; the same
    lines also go to ``workdir/virtuoso.log``). Retries with new ports if one was taken.

    * *max_rows* -> ``[SPARQL] ResultSetMaxRows``. A SELECT with more rows is cut to
      *max_rows* and answered **200** with header ``X-SPARQL-MaxRows: N`` (also sent when
      the result has exactly N rows); CONSTRUCT/DESCRIBE are cut without any header;
      ``OFFSET`` >= N fails (500, ``SR350: TOP parameter < 0``).
    * *query_timeout* -> ``[SPARQL] MaxQueryExecutionTime`` (s): a query running longer
      fails with 500 ``S1T00 ... SR171: Transaction timed out``. Only a request with
      Virtuoso's own ``timeout=MS`` parameter becomes an "anytime" query: 200 with
      ``X-SQL-State: S1TAT`` and partial (possibly empty) results. No 206 in this build.
    * *gsp_auth* False (default): run ``GRANT SPARQL_UPDATE TO "SPARQL"`` through isql-vt
      (~40 ms) so that ``/sparql-graph-crud`` (GSP) and ``/sparql`` (update) work
      without auth. True: no GRANT; ``store_url=/sparql-graph-crud-auth``,
      ``update_url=/sparql-auth``, HTTP Digest ``dba:dba`` (use ``Server.opener()``).
    """
    if not virtuoso_available():
        raise RuntimeError(f"{VIRTUOSO_BIN} not found (apt-get install virtuoso-opensource-7-bin)")
    workdir = Path(workdir).absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "virtuoso.out"
    ini = workdir / "virtuoso.ini"
    for attempt in range(attempts):
        sql_port = free_port()
        http_port = free_port()
        while http_port == sql_port:
            http_port = free_port()
        ini.write_text(
            _VIRTUOSO_INI.format(
                d=workdir,
                sql_port=sql_port,
                http_port=http_port,
                max_rows=int(max_rows),
                sorted_rows=max(int(max_rows), 1_000_000),
                query_timeout=int(query_timeout),
            ),
            encoding="utf-8",
        )
        base = f"http://127.0.0.1:{http_port}"
        since = _log_size(log_path)
        proc = _popen(
            [VIRTUOSO_BIN, "+foreground", "+configfile", str(ini)], log_path, workdir
        )
        server = Server(
            name="virtuoso",
            pid=proc.pid,
            base_url=base,
            query_url=f"{base}/sparql",
            update_url=f"{base}/sparql-auth" if gsp_auth else f"{base}/sparql",
            store_url=f"{base}/sparql-graph-crud-auth" if gsp_auth else f"{base}/sparql-graph-crud",
            store_auth=VIRTUOSO_USER if gsp_auth else None,
            auth_scheme="digest" if gsp_auth else None,
            workdir=workdir,
            log_path=log_path,
            sql_port=sql_port,
            _proc=proc,
        )
        try:
            wait_http(f"{base}/sparql{_ASK}", timeout, proc=proc)
            if not gsp_auth:
                isql(server, 'GRANT SPARQL_UPDATE TO "SPARQL";', timeout=timeout)
        except (RuntimeError, TimeoutError, subprocess.TimeoutExpired) as e:
            _kill(proc, 10.0)
            if attempt + 1 < attempts and _port_in_use(log_path, since):
                with contextlib.suppress(OSError):
                    (workdir / "virtuoso.lck").unlink()
                continue
            raise RuntimeError(
                f"virtuoso did not start ({e}); tail of {log_path}:\n{_tail(log_path)}"
            ) from None
        _running[proc.pid] = server
        return server
    raise AssertionError("unreachable")


def isql(server: Server, sql: str, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run SQL statements (``;``-separated) through ``isql-vt`` as ``dba``.

    Example: ``isql(srv, 'GRANT SPARQL_UPDATE TO "SPARQL";')``. Raises
    ``RuntimeError`` on a non-zero exit or an ``*** Error`` line in the output.
    """
    if server.sql_port is None:
        raise ValueError(f"{server.name} has no SQL port")
    proc = subprocess.run(
        [ISQL_BIN, f"127.0.0.1:{server.sql_port}", *VIRTUOSO_USER, f"exec={sql}"],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or "*** Error" in out:
        raise RuntimeError(f"isql-vt failed (exit {proc.returncode}):\n{out}")
    return proc
