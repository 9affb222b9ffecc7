"""The API's client: how the CLI and an attached window talk to a running engine (httpx)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx

from surveil.engine.changes import ChangeRefused
from surveil.service import discovery
from surveil.service.queries import QueryError

logger = logging.getLogger(__name__)


class ServiceUnavailable(ValueError):
    """No engine answers at that address (or the token is refused): one line for the user."""


class ApiClient:
    """Calls on one running engine. Refusals raise QueryError (reads) or ChangeRefused (commands)."""

    def __init__(self, url: str, token: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    @classmethod
    def for_store(cls, store_folder: Path, config_dir: Path) -> ApiClient | None:
        """The client of the engine that owns this store, or None when no engine serves it."""
        info = discovery.find(store_folder)
        token = discovery.api_token(config_dir, create=False)
        if info is None or token is None:
            return None
        try:
            return cls._checked(info.url, token, pid=info.pid)
        except ServiceUnavailable as exc:
            logger.warning("%s", exc)
            return None

    @classmethod
    def at(cls, url: str, config_dir: Path) -> ApiClient:
        """The client of an engine at a given address; ServiceUnavailable when it does not answer."""
        token = discovery.api_token(config_dir, create=False)
        if token is None:
            raise ServiceUnavailable(f"no API token in {config_dir}: start `surveil run` once on this machine")
        return cls._checked(url, token)

    @classmethod
    def _checked(cls, url: str, token: str, pid: int | None = None) -> ApiClient:
        """A client whose engine answered the ping (as the process ``pid``, when given)."""
        try:
            client = cls(url, token)
        except (httpx.InvalidURL, ValueError) as exc:
            raise ServiceUnavailable(f"not an address: {url} ({exc})") from None
        try:
            answer = client.get("/api/ping", timeout=5)
            if not isinstance(answer, dict) or "pid" not in answer:
                raise ServiceUnavailable(f"{url} is not a surveil engine")
            if pid is not None and answer["pid"] != pid:  # a stale service.json: another engine has that port now
                raise ServiceUnavailable(f"{url} is another engine (process {answer['pid']}, not {pid})")
        except (ServiceUnavailable, QueryError, ChangeRefused, ValueError) as exc:
            client.close()
            message = str(exc) if isinstance(exc, ServiceUnavailable) else f"{url} is not a surveil engine ({exc})"
            raise ServiceUnavailable(message) from None
        return client

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def get(self, path: str, **kw):
        """GET, decoded JSON."""
        return self._call("GET", path, **kw).json()

    def post(self, path: str, body=None, command: bool = False, **kw):
        """POST a JSON body; ``command`` makes a refusal a ChangeRefused."""
        return self._call("POST", path, json=body, command=command, **kw).json()

    def put(self, path: str, body) -> dict:
        """PUT a JSON body (a command)."""
        return self._call("PUT", path, json=body, command=True).json()

    def delete(self, path: str) -> dict:
        """DELETE (a command)."""
        return self._call("DELETE", path, command=True).json()

    def raw(self, path: str, **kw) -> httpx.Response | None:
        """GET bytes; None for 404 (no such thumbnail, no frame yet)."""
        response = self._call("GET", path, allow_missing=True, **kw)
        return None if response.status_code == 404 else response

    def lines(self, path: str) -> Iterator[str]:
        """The data lines of a server-sent event stream, until it ends."""
        try:
            with self._http.stream("GET", path, timeout=httpx.Timeout(5.0, read=60.0)) as response:
                if response.status_code >= 400:
                    response.read()
                self._check(response)
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        yield line[6:]
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the engine at {self.url} stopped answering: {exc}") from None

    def _call(self, method: str, path: str, command: bool = False, allow_missing: bool = False, **kw):
        try:
            response = self._http.request(method, path, **kw)
        except (httpx.HTTPError, httpx.InvalidURL, RuntimeError) as exc:  # RuntimeError: this client was closed
            raise ServiceUnavailable(f"no engine answers at {self.url}: {exc}") from None
        if allow_missing and response.status_code == 404:
            return response
        self._check(response, command)
        return response

    def _check(self, response: httpx.Response, command: bool = False) -> None:
        if response.status_code < 400:
            return
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        if isinstance(detail, list):  # FastAPI's validation errors
            detail = "; ".join(f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}" for d in detail)
        if response.status_code == 401:
            raise ServiceUnavailable(f"the engine at {self.url} refused the token: {detail}")
        if response.status_code >= 500:
            raise ServiceUnavailable(f"the engine at {self.url} failed: {detail}")
        raise (ChangeRefused if command else QueryError)(str(detail))
