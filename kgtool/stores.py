"""Real triple stores: push the graph with the SPARQL 1.1 Graph Store Protocol, query through SPARQLWrapper.

- ``push`` replaces one named graph (HTTP PUT, so pushing twice leaves one copy), then reads the graph
  back (HTTP GET) and checks that the store holds as many triples as were sent. Transient failures
  (connection reset or refused, 429, 502, 503, 504) are retried with backoff; everything has a timeout.
- :class:`Endpoint` runs the same bound query text as the embedded graph (the :class:`~kgtool.query.Target`
  protocol). Its default graph is the pushed named graph, given as the protocol's ``default-graph-uri``
  parameter, so a store's other graphs (Virtuoso's system triples) never leak into answers. A partial
  result is an error, not an answer: HTTP 206, an ``X-SQL-State`` header (Virtuoso's "incomplete
  results"), or as many rows as an ``X-SPARQL-MaxRows`` header says the store would return at most
  (Virtuoso 7.2 cuts at ResultSetMaxRows and still answers 200).
- Credentials come from an environment variable and never appear in messages.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from .errors import KgtoolError, UsageError
from .load import KnowledgeGraph
from .project import Project
from .sparql import AskResult, GraphResult, NodeIndex, QueryResult, SelectResult, index_via, prepare, sandbox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
TRANSIENT_HTTP = {429, 502, 503, 504}
DEFAULT_TIMEOUT = 30.0


class StoreError(KgtoolError):
    """The store is unreachable, refused the request, timed out or answered partially (exit 3)."""


def default_graph(project: Project) -> str:
    return project.settings.base + "graph"


def redact(url: str) -> str:
    """A URL without user information, for messages."""
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def _check_url(url: str, what: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{what} {redact(url)!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:7878/query")
    return url


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)
    scheme: str = "basic"  # or "digest"

    def __str__(self) -> str:  # never print the password
        return f"{self.user} (password hidden)"


def credentials(user: str | None, password_env: str | None, scheme: str = "basic") -> Credentials | None:
    if user is None and password_env is None:
        return None
    if user is None or password_env is None:
        raise UsageError("give both --user and --password-env", hint="the password is read from the environment variable")
    if password_env not in os.environ:
        raise UsageError(f"environment variable {password_env} is not set", hint=f"export {password_env}=... first")
    if scheme not in ("basic", "digest"):
        raise UsageError(f"unknown auth scheme {scheme!r}", hint="basic or digest")
    return Credentials(user=user, password=os.environ[password_env], scheme=scheme)


class _PreemptiveDigest(urllib.request.HTTPDigestAuthHandler):
    """Digest auth that answers later requests with the last challenge, before the server asks.

    Plain urllib sends a request without credentials first; Virtuoso answers that 401 before reading
    a large body and closes the connection, so a big PUT fails with a broken pipe. After one small
    authenticated exchange this handler signs every request up front.
    """

    _challenge: dict[str, str] | None = None

    def retry_http_digest_auth(self, req, auth):  # type: ignore[override]
        self._challenge = urllib.request.parse_keqv_list(filter(None, urllib.request.parse_http_list(auth.split(" ", 1)[1])))
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):  # type: ignore[override]
        if self._challenge is not None and not req.has_header("Authorization"):
            authorization = self.get_authorization(req, self._challenge)
            if authorization:
                req.add_unredirected_header("Authorization", f"Digest {authorization}")
        return req

    https_request = http_request


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


class _CheckedRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects that cannot change what is sent, or to whom.

    urllib would turn a POST answered with 301/302/303 into a GET without the query (and the store's
    empty answer to that into ``0 rows``), and re-send an ``Authorization`` header to whatever origin
    the redirect names. Here a redirect is followed only if it keeps the method and the body (a GET,
    or 307/308), stays on the same origin when credentials are in play, and stays http(s); anything
    else is a :class:`StoreError` naming both URLs.
    """

    def __init__(self, with_credentials: bool) -> None:
        self.with_credentials = with_credentials

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        method = req.get_method()
        target = urllib.parse.urljoin(req.full_url, newurl)
        where = f"{method} {redact(req.full_url)}: the store redirected (HTTP {code}) to {redact(target)}"
        if urllib.parse.urlsplit(target).scheme.lower() not in ("http", "https"):
            raise StoreError(f"{where}, which is not an http(s) URL")
        credentials = self.with_credentials or req.has_header("Authorization")
        if credentials and _origin(target) != _origin(req.full_url):
            raise StoreError(f"{where}, another origin: kgtool does not send credentials there",
                             hint="give the final URL (--endpoint) if you trust it")
        if method != "GET" and code not in (307, 308):
            raise StoreError(f"{where}, which would turn the {method} into a GET without its body",
                             hint="give the final URL (--endpoint)")
        if method == "GET":
            return super().redirect_request(req, fp, code, msg, headers, newurl)
        new_headers = {k: v for k, v in req.header_items() if k.lower() != "host"}
        if _origin(target) != _origin(req.full_url):
            new_headers = {k: v for k, v in new_headers.items() if k.lower() not in ("authorization", "cookie")}
        return urllib.request.Request(target, data=req.data, headers=new_headers, method=method,
                                      origin_req_host=req.origin_req_host, unverifiable=True)


def _opener(url: str, creds: Credentials | None, *, timeout: float) -> urllib.request.OpenerDirector:
    # no proxies: a store on 127.0.0.1 must not be sent through an environment proxy; redirects checked
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({}), _CheckedRedirect(creds is not None)]
    if creds is None:
        return urllib.request.build_opener(*handlers)
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, creds.user, creds.password)
    if creds.scheme == "basic":
        return urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(manager), *handlers)
    opener = urllib.request.build_opener(_PreemptiveDigest(manager), *handlers)
    try:  # one small exchange to learn the challenge; its answer (200 or 404) does not matter
        with opener.open(urllib.request.Request(url, method="GET"), timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise StoreError(f"GET {redact(url)}: the store refused the credentials (HTTP {exc.code})",
                             hint="check --user and the password in --password-env") from None
    except (urllib.error.URLError, OSError):
        pass  # reported by the real request, with retries
    return opener


def _request(method: str, url: str, *, creds: Credentials | None, timeout: float, data: bytes | None = None,
             headers: dict[str, str] | None = None, retries: int = 3,
             opener: urllib.request.OpenerDirector | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP exchange with retries on transient failures; every failure becomes a StoreError."""
    opener = opener or _opener(url, creds, timeout=timeout)
    delay = 0.25
    deadline = time.monotonic() + timeout
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with opener.open(request, timeout=max(deadline - time.monotonic(), 0.1)) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()[:300].decode("utf-8", "replace")
            if exc.code in TRANSIENT_HTTP and attempt < retries and time.monotonic() + delay < deadline:
                time.sleep(delay)
                delay *= 2
                continue
            hint = "check --user/--password-env" if exc.code in (401, 403) else "check the URL and --graph"
            raise StoreError(f"{method} {redact(url)}: the store answered HTTP {exc.code} {exc.reason}: {body.strip()}",
                             hint=hint) from None
        except (TimeoutError, socket.timeout):
            raise StoreError(f"{method} {redact(url)}: no answer within {timeout:g} s",
                             hint="raise --timeout, or check that the store is not stuck") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise StoreError(f"{method} {redact(url)}: no answer within {timeout:g} s") from None
            transient = isinstance(reason, (ConnectionRefusedError, ConnectionResetError))
            if transient and attempt < retries and time.monotonic() + delay < deadline:
                time.sleep(delay)
                delay *= 2
                continue
            raise StoreError(f"{method} {redact(url)}: cannot reach the store: {getattr(reason, 'strerror', None) or reason}",
                             hint="is the server running, and is the URL right?") from None
        except (ConnectionError, OSError) as exc:
            raise StoreError(f"{method} {redact(url)}: {exc}") from None
    raise StoreError(f"{method} {redact(url)}: gave up after {retries + 1} attempts")


def _with_graph(url: str, graph: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + [("graph", graph)]
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, urllib.parse.urlencode(query), ""))


def ntriples(graph: Graph) -> bytes:
    """Sorted N-Triples (kgtool's own writer, which refuses terms it cannot write faithfully)."""
    from .export import ntriples_lines

    return "".join(ntriples_lines(graph)).encode("utf-8")


@dataclass(frozen=True)
class PushResult:
    store: str
    graph: str
    sent: int
    stored: int
    seconds: float
    with_inferred: bool


def push(kg: KnowledgeGraph, *, store_url: str, graph: str | None = None, with_inferred: bool = False,
         creds: Credentials | None = None, timeout: float = DEFAULT_TIMEOUT) -> PushResult:
    """Replace the named graph ``graph`` in the store with the project's graph, then verify it."""
    _check_url(store_url, "store URL")
    graph = graph or default_graph(kg.project)
    payload = Graph()
    for triple in kg.graph("ontology", "data"):
        payload.add(triple)
    if with_inferred:
        from .infer import infer

        for triple in infer(kg).graph:
            payload.add(triple)
    body = ntriples(payload)
    target = _with_graph(store_url, graph)
    started = time.monotonic()
    opener = _opener(target, creds, timeout=timeout)
    # N-Triples is valid Turtle; text/turtle is the content type every store accepts.
    _request("PUT", target, creds=creds, timeout=timeout, data=body, opener=opener,
             headers={"Content-Type": "text/turtle; charset=utf-8"})
    status, headers, content = _request("GET", target, creds=creds, timeout=timeout, opener=opener,
                                        headers={"Accept": "application/n-triples, text/turtle;q=0.9"})
    seconds = time.monotonic() - started
    content_type = headers.get("Content-Type", headers.get("content-type", "text/turtle")).split(";")[0].strip()
    fmt = ox.RdfFormat.N_TRIPLES if content_type in ("application/n-triples", "text/plain") else ox.RdfFormat.TURTLE
    try:
        stored = sum(1 for _ in ox.parse(content, format=fmt))
    except SyntaxError as exc:
        raise StoreError(f"GET {redact(target)}: the store sent a graph that does not parse ({content_type}): {exc}") from None
    if stored != len(payload):
        raise StoreError(f"push to {redact(store_url)} graph {graph}: sent {len(payload)} triples but the store holds {stored}",
                         hint="another writer may have touched the graph, or the store changed literals")
    return PushResult(store=redact(store_url), graph=graph, sent=len(payload), stored=stored, seconds=seconds,
                      with_inferred=with_inferred)


def _term(value: dict):
    kind = value.get("type")
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Literal(value["value"], lang=value["xml:lang"])
        datatype = value.get("datatype")
        if datatype and datatype != XSD_STRING:
            return Literal(value["value"], datatype=URIRef(datatype))
        return Literal(value["value"])
    raise StoreError(f"the store sent an unknown term type {kind!r}")


@dataclass
class Endpoint:
    """A remote SPARQL query endpoint, scoped to one named graph (its default graph for our queries)."""

    url: str
    graph: str | None = None
    creds: Credentials | None = None
    timeout: float = DEFAULT_TIMEOUT
    _index: NodeIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        _check_url(self.url, "endpoint")

    def run(self, text: str, *, name: str | None = None) -> QueryResult:
        from SPARQLWrapper import POST, SPARQLWrapper

        text = sandbox(text, name=name)  # the same sandbox as embedded queries, before anything is sent,
        prepare(text, name=name)  # and the store gets the text as the sandbox read it
        client = SPARQLWrapper(self.url)  # SPARQLWrapper writes the protocol request; kgtool's opener sends it
        client.setMethod(POST)
        client.setQuery(text)
        client.setOnlyConneg(False)
        if self.graph:
            client.addDefaultGraph(self.graph)
        kind = client.queryType
        if kind in ("CONSTRUCT", "DESCRIBE"):
            client.setReturnFormat("turtle")
            client.addCustomHttpHeader("Accept", "text/turtle")
        else:
            client.setReturnFormat("json")
        request = client._createRequest()
        if self.creds is not None and self.creds.scheme == "basic":  # pre-emptive, never re-sent on a redirect
            token = base64.b64encode(f"{self.creds.user}:{self.creds.password}".encode()).decode()
            request.add_unredirected_header("Authorization", f"Basic {token}")
        what = f"query {name!r}" if name else "query"
        try:
            opener = _opener(self.url, self.creds, timeout=self.timeout)
            with opener.open(request, timeout=max(self.timeout, 0.1)) as response:
                status = response.status
                headers = {k.lower(): v for k, v in response.headers.items()}
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace").strip()
            raise StoreError(f"{what} on {redact(self.url)}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else ""),
                             hint="check --user/--password-env" if exc.code in (401, 403) else None) from None
        except (TimeoutError, socket.timeout):
            raise StoreError(f"{what} on {redact(self.url)}: no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise StoreError(f"{what} on {redact(self.url)}: no answer within {self.timeout:g} s") from None
            raise StoreError(f"{what} on {redact(self.url)}: cannot reach the store: {exc.reason}") from None
        except (ConnectionError, OSError) as exc:
            raise StoreError(f"{what} on {redact(self.url)}: {exc}") from None
        if status == 206 or "x-sql-state" in headers:
            raise StoreError(f"{what} on {redact(self.url)}: the store returned a partial result "
                             f"(HTTP {status}, X-SQL-State {headers.get('x-sql-state', '-')})",
                             hint="the store cut the answer at a limit (e.g. Virtuoso ResultSetMaxRows); raise it")
        if kind in ("CONSTRUCT", "DESCRIBE"):
            graph = Graph()
            content_type = headers.get("content-type", "text/turtle").split(";")[0].strip()
            graph.parse(data=body.decode("utf-8"), format="nt" if content_type == "application/n-triples" else "turtle")
            return GraphResult(graph=graph)
        try:
            payload = json.loads(body)
        except ValueError:
            raise StoreError(f"{what} on {redact(self.url)}: the answer is not SPARQL JSON results") from None
        if "boolean" in payload:
            return AskResult(value=bool(payload["boolean"]))
        variables = payload.get("head", {}).get("vars", [])
        if kind == "ASK":  # Virtuoso answers some ASK queries as a one-row table (__ASK_RETVAL 1 or 0)
            bindings = payload.get("results", {}).get("bindings", [])
            if variables == ["__ASK_RETVAL"] and len(bindings) == 1:
                return AskResult(value=str(bindings[0]["__ASK_RETVAL"]["value"]) in ("1", "true"))
            raise StoreError(f"{what} on {redact(self.url)}: the answer to an ASK query has no boolean")
        rows = [{v: (_term(b[v]) if v in b else None) for v in variables}
                for b in payload.get("results", {}).get("bindings", [])]
        cap = headers.get("x-sparql-maxrows")
        if cap and cap.isdigit() and len(rows) >= int(cap):
            raise StoreError(f"{what} on {redact(self.url)}: the store cut the result at its row limit ({cap} rows, "
                             "X-SPARQL-MaxRows)", hint="raise the store's result limit (Virtuoso ResultSetMaxRows)")
        return SelectResult(variables=variables, rows=rows)

    def node_index(self) -> NodeIndex:
        if self._index is None:
            self._index = index_via(self.run)
        return self._index


STORE_KEYS = ("endpoint", "store", "graph", "user", "password-env", "auth", "timeout")


def store_settings(project: Project, name: str) -> dict[str, str]:
    """Settings of a named store from ``[tool.kgtool.stores.NAME]``, overridden by
    ``KGTOOL_STORE_<NAME>_<KEY>`` environment variables (``KGTOOL_STORE_PROD_ENDPOINT``)."""
    values = {k: str(v) for k, v in project.settings.stores.get(name, {}).items()}
    prefix = "KGTOOL_STORE_" + name.upper().replace("-", "_") + "_"
    for key in STORE_KEYS:
        env = os.environ.get(prefix + key.upper().replace("-", "_"))
        if env:
            values[key] = env
    if not values:
        known = ", ".join(sorted(project.settings.stores)) or "none"
        raise UsageError(f"no store named {name!r}", hint=f"declare [tool.kgtool.stores.{name}] in pyproject.toml "
                                                          f"(known: {known}) or set {prefix}ENDPOINT")
    unknown = set(values) - set(STORE_KEYS)
    if unknown:
        raise UsageError(f"store {name!r}: unknown settings {', '.join(sorted(unknown))}",
                         hint="known: " + ", ".join(STORE_KEYS))
    return values


@dataclass(frozen=True)
class StoreOptions:
    """What the user said about a store on the command line (or in a notebook)."""

    store: str | None = None
    endpoint: str | None = None
    graph: str | None = None
    user: str | None = None
    password_env: str | None = None
    auth: str | None = None
    timeout: float | None = None


def _resolved(project: Project, options: StoreOptions) -> dict[str, str]:
    values = store_settings(project, options.store) if options.store else {}
    for key, value in (("endpoint", options.endpoint), ("graph", options.graph), ("user", options.user),
                       ("password-env", options.password_env), ("auth", options.auth),
                       ("timeout", None if options.timeout is None else str(options.timeout))):
        if value is not None:
            values[key] = value
    return values


def _timeout(values: dict[str, str]) -> float:
    try:
        return float(values.get("timeout", DEFAULT_TIMEOUT))
    except ValueError:
        raise UsageError(f"timeout {values['timeout']!r} is not a number of seconds") from None


def query_endpoint(project: Project, options: StoreOptions) -> Endpoint | None:
    """The remote query endpoint the options name, or None for the embedded graph."""
    if options.store is None and options.endpoint is None:
        return None
    values = _resolved(project, options)
    if "endpoint" not in values:
        raise UsageError(f"store {options.store!r} has no query endpoint", hint="set endpoint = \"http://.../query\"")
    return Endpoint(url=values["endpoint"], graph=values.get("graph") or default_graph(project),
                    creds=credentials(values.get("user"), values.get("password-env"), values.get("auth", "basic")),
                    timeout=_timeout(values))


def push_project(kg: KnowledgeGraph, options: StoreOptions, *, with_inferred: bool = False) -> PushResult:
    """Push to the Graph Store Protocol endpoint the options name (``store`` setting, or ``--endpoint``)."""
    values = _resolved(kg.project, options)
    url = values.get("store") if options.endpoint is None else options.endpoint
    if not url:
        raise UsageError("no Graph Store Protocol endpoint: give --endpoint URL or a store with a `store` setting")
    return push(kg, store_url=url, graph=values.get("graph"), with_inferred=with_inferred,
                creds=credentials(values.get("user"), values.get("password-env"), values.get("auth", "basic")),
                timeout=_timeout(values))
