"""A real OpenID Connect provider for the tests, and a browserless driver to log in through it.

The provider is ``tests/oidc/server.mjs`` (npm package ``oidc-provider``, pinned in
``tests/oidc/package-lock.json``), started by :class:`OIDCProvider` on a free port of 127.0.0.1::

    with OIDCProvider(clients=[{"client_id": "app", "client_secret": "s3cret",
                                "redirect_uris": ["http://127.0.0.1:5000/auth/callback"],
                                "post_logout_redirect_uris": ["http://127.0.0.1:5000/"]}],
                      accounts={"alice": {"email": "alice@example.org", "name": "Alice", "groups": ["admins"]}}) as op:
        session = requests.Session()
        callback = login(app_authorization_url, "alice", session)   # http://127.0.0.1:5000/auth/callback?code=…&state=…
        tokens = fetch_tokens(op, "app", "s3cret", "http://127.0.0.1:5000/auth/callback", "alice", nonce="n-1")

Login accepts any account id from ``accounts`` (the password is ignored) and refuses others
(:class:`LoginError`). Scopes ``openid email profile groups`` put ``sub``, ``email``,
``email_verified``, ``name`` and ``groups`` into the ID token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

import requests

OIDC_DIR = Path(__file__).parent / "oidc"
SERVER = OIDC_DIR / "server.mjs"
STARTUP_TIMEOUT = 30.0
HTTP_TIMEOUT = 10.0
MAX_STEPS = 20
EADDRINUSE_EXIT = 98  # server.mjs exits with this when the port is taken
BROWSER_HEADERS = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # errors come as HTML pages then


class OIDCProviderError(RuntimeError):
    """The test provider could not be installed, started or talked to."""


class LoginError(RuntimeError):
    """The provider did not let the login through (unknown account, error page, …)."""


class _Done(Exception):
    """Ends a walk through the provider's pages on a page that asks for nothing more."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


# --- node / npm -------------------------------------------------------------------------------


def ensure_node_modules(directory: Path = OIDC_DIR) -> None:
    """``npm ci`` in ``directory`` (tests/oidc, tests/axe) when node_modules is missing or older than its lock file."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise OIDCProviderError(
                f"`{tool}` is not on PATH: the tests need Node.js (>= 18) and npm for the packages in {directory}"
            )
    lock = directory / "package-lock.json"
    installed = directory / "node_modules" / ".package-lock.json"  # written by npm on every install
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise OIDCProviderError(
            f"`npm ci` failed in {directory} (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    installed.touch()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


# --- the provider process -----------------------------------------------------------------------


class OIDCProvider:
    """``node server.mjs`` on a free port of 127.0.0.1, as a context manager.

    ``clients``: dicts of client metadata (``client_id``, ``client_secret``, ``redirect_uris``,
    ``post_logout_redirect_uris``; anything else is passed on to oidc-provider, e.g.
    ``token_endpoint_auth_method``, default ``client_secret_basic`` — ``client_secret_post`` is
    accepted as well). ``accounts``: ``{sub: {"email": …, "name": …, "groups": […]}}``.
    ``require_pkce``: authorization requests without S256 PKCE are refused (default).
    """

    host = "127.0.0.1"

    def __init__(
        self,
        clients: list[dict[str, Any]],
        accounts: dict[str, dict[str, Any]],
        *,
        require_pkce: bool = True,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        self.clients = clients
        self.accounts = accounts
        self.require_pkce = require_pkce
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.issuer: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._output: list[str] = []
        self._ready = threading.Event()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._discovery: dict[str, Any] | None = None

    # context manager

    def __enter__(self) -> OIDCProvider:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # lifecycle

    def start(self) -> None:
        ensure_node_modules()
        self._tmp = tempfile.TemporaryDirectory(prefix="oidc-provider-")
        try:
            for _attempt in range(3):  # the port is picked here, so another process may take it first
                if self._start_once():
                    return
            raise OIDCProviderError(f"no free port for the OpenID Connect provider:\n{self.output}")
        except BaseException:
            self.stop()
            raise

    def _start_once(self) -> bool:
        self.port = _free_port(self.host)
        self.issuer = f"http://{self.host}:{self.port}"
        config = {
            "host": self.host,
            "port": self.port,
            "issuer": self.issuer,
            "clients": self.clients,
            "accounts": self.accounts,
            "require_pkce": self.require_pkce,
            "exit_on_stdin_close": True,
        }
        assert self._tmp is not None
        config_path = Path(self._tmp.name) / "config.json"
        config_path.write_text(json.dumps(config), encoding="utf-8")

        self._output = []
        self._ready = threading.Event()
        self._discovery = None
        self._process = subprocess.Popen(
            ["node", str(SERVER), str(config_path)],
            cwd=OIDC_DIR,
            stdin=subprocess.PIPE,  # closed when we stop (or die): the server then exits too
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NODE_ENV": "test"},
        )
        reader = threading.Thread(target=self._read_output, args=(self._process,), daemon=True)
        reader.start()

        deadline = time.monotonic() + self.startup_timeout
        while not self._ready.wait(0.05):
            code = self._process.poll()
            if code is not None:
                self._process = None
                reader.join(timeout=5)  # the whole output, for the message
                if code == EADDRINUSE_EXIT:
                    return False
                raise OIDCProviderError(f"the OpenID Connect provider exited with {code}:\n{self.output}")
            if time.monotonic() > deadline:
                raise OIDCProviderError(
                    f"the OpenID Connect provider printed no READY in {self.startup_timeout:g} s:\n{self.output}"
                )
        return True

    def _read_output(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._output.append(line)
            if line.startswith("READY "):
                self._ready.set()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # helpers

    @property
    def output(self) -> str:
        """Everything the server printed (stdout and stderr) so far."""
        return "".join(self._output)

    def url(self, path: str) -> str:
        if self.issuer is None:
            raise OIDCProviderError("the OpenID Connect provider is not running")
        return urljoin(self.issuer + "/", path.lstrip("/"))

    def discovery(self) -> dict[str, Any]:
        """The provider's ``/.well-known/openid-configuration`` (fetched once)."""
        if self._discovery is None:
            response = requests.get(self.url("/.well-known/openid-configuration"), timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            self._discovery = response.json()
        return self._discovery

    def jwks(self) -> dict[str, Any]:
        response = requests.get(self.discovery()["jwks_uri"], timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        return response.json()


def end_session_url(provider: OIDCProvider) -> str:
    """The RP-initiated logout endpoint from discovery (``/session/end``)."""
    return provider.discovery()["end_session_endpoint"]


# --- the browserless user agent -----------------------------------------------------------------


class _Form:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.id = attrs.get("id") or ""
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").upper()
        self.fields: dict[str, str] = {}


class _Page(HTMLParser):
    """The forms (action, method, named inputs) and the ``id="error"`` text of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self.error = ""
        self._form: _Form | None = None
        self._in_error = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if self._in_error:
            self._in_error += 1
        elif attributes.get("id") == "error":
            self._in_error = 1
        if tag == "form":
            self._form = _Form(attributes)
            self.forms.append(self._form)
        elif (
            tag == "input"
            and self._form is not None
            and attributes.get("name")
            and attributes.get("type") not in ("submit", "button", "checkbox", "radio")
        ):
            self._form.fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        if self._in_error:
            self._in_error -= 1

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data

    def form(self, form_id: str) -> _Form | None:
        return next((form for form in self.forms if form.id == form_id), None)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _describe(response: requests.Response) -> str:
    error = _Page(response.text).error.strip() if "html" in response.headers.get("Content-Type", "") else ""
    return f"{response.request.method} {response.url} → {response.status_code}: {error or response.text[:500]}"


def _walk(url: str, session: requests.Session, on_page) -> str:
    """Follow the provider's redirects and pages until one redirects off the provider; return that URL.

    ``on_page(response, page)`` answers a provider page with the next request ``(method, url, data)``.
    """
    provider = _origin(url)
    method, data = "GET", None
    for _step in range(MAX_STEPS):
        response = session.request(
            method, url, data=data, headers=BROWSER_HEADERS, allow_redirects=False, timeout=HTTP_TIMEOUT
        )
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if _origin(target) != provider:
                return target
            url, data = target, None
            if response.status_code not in (307, 308):
                method = "GET"
            continue
        method, url, data = on_page(response, _Page(response.text))
        if _origin(url) != provider:
            raise LoginError(f"the provider posts a form off itself (response_mode=form_post?): {url}")
    raise LoginError(f"no redirect off the provider after {MAX_STEPS} steps, last: {url}")


def login(authorization_url: str, account: str, session: requests.Session | None = None) -> str:
    """Log ``account`` in at the provider without a browser; return the redirect back to the client.

    Starts at ``authorization_url`` (the app's redirect to the provider's authorization endpoint),
    fills in the login form and the consent form when they come, and returns the first redirect
    target off the provider — the client's ``redirect_uri`` with ``code``, ``state`` and ``iss``
    (or ``error``) — without following it. Pass the same ``session`` to keep the provider's session
    cookies for a second login (no login form then) or a logout.
    Raises :class:`LoginError` when the account is refused or the provider shows an error page.
    """
    session = session if session is not None else requests.Session()
    submitted_login = False

    def on_page(response: requests.Response, page: _Page):
        nonlocal submitted_login
        login_form, consent_form = page.form("login"), page.form("consent")
        if login_form is not None:
            if submitted_login:
                raise LoginError(f"login refused for {account!r}: {_describe(response)}")
            submitted_login = True
            fields = {**login_form.fields, "login": account, "password": "test"}
            return "POST", urljoin(response.url, login_form.action), fields
        if consent_form is not None:
            return "POST", urljoin(response.url, consent_form.action), consent_form.fields
        raise LoginError(f"unexpected page at the provider: {_describe(response)}")

    return _walk(authorization_url, session, on_page)


def logout(url: str, session: requests.Session) -> str:
    """RP-initiated logout: open ``url`` (the end-session endpoint with its query), confirm, and
    return where the provider sends the browser: the ``post_logout_redirect_uri`` (with ``state``)
    when one was accepted, else the provider's own "signed out" page URL.
    """

    def on_page(response: requests.Response, page: _Page):
        if response.status_code >= 400 or page.error:
            raise LoginError(f"logout refused: {_describe(response)}")
        form = page.form("op.logoutForm") or (page.forms[0] if page.forms else None)
        if form is None:
            raise _Done(response.url)
        return "POST", urljoin(response.url, form.action), {**form.fields, "logout": "yes"}

    try:
        return _walk(url, session, on_page)
    except _Done as done:
        return done.url


# --- a whole authorization-code flow, for tests that need real ID tokens -----------------------


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` pair for S256."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def fetch_tokens(
    provider: OIDCProvider,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    account: str,
    nonce: str,
    scope: str = "openid email profile groups",
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Authorization code flow with PKCE as ``account``; the token response (``id_token``, …)."""
    endpoints = provider.discovery()
    state = secrets.token_urlsafe(16)
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    callback = login(f"{endpoints['authorization_endpoint']}?{query}", account, session)
    params = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    if "error" in params:
        raise LoginError(f"authorization failed: {params}")
    if params.get("state") != state or "code" not in params:
        raise LoginError(f"unexpected authorization response: {callback}")

    response = requests.post(
        endpoints["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        # client_secret_basic: id and secret are form-urlencoded first (RFC 6749, section 2.3.1)
        auth=(quote(client_id, safe=""), quote(client_secret, safe="")),
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code != 200:
        raise OIDCProviderError(f"token request failed: {response.status_code} {response.text}")
    return response.json()
