"""The HTTP side: routing, the request pipeline and the records tests assert on.

Every bot request goes: token (401 if wrong) -> method known to the spec and parameters checked
(400 + a recorded violation) -> injected fault -> flood limits (429) -> the method. Unknown
methods also answer 400 (real Telegram says 404), so that PTB reports them as BadRequest.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPServerRequest
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from testserver.control import control_routes
from testserver.faults import CONNECTION_FAULTS, Fault, Faults
from testserver.limits import LimitSettings, RateLimiter
from testserver.methods import ApiError, BotMethods
from testserver.spec import BotApiSpec, ObjectSpec, SpecError, UploadedFile
from testserver.world import JSON, User, World

_LOG = logging.getLogger(__name__)
DEFAULT_TOKEN = "7000000001:TEST-jianfu-local-bot-api-server"
_JSON_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class Violation:
    """A bot request that does not match the Bot API spec."""

    method: str
    description: str
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    method: str
    params: dict[str, Any]
    """Decoded to native values when they passed the spec check, else as received."""
    status: int
    at: float
    """time.monotonic() when the request arrived."""
    description: str | None = None


class BotApiServer:
    """A local Bot API server over a simulated world; start it, point PTB at `base_url`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        spec: BotApiSpec | None = None,
        spec_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        set_clock: Callable[[datetime], None] | None = None,
        limits: LimitSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        check_responses: bool = False,
        bot_username: str = "jianfu_test_bot",
        bot_name: str = "Jianfu Test Bot",
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"a token looks like '<bot id>:<secret>', e.g. {DEFAULT_TOKEN!r}")
        self.token = token
        self.spec = spec or BotApiSpec.load(spec_path)
        self.world = World(User(int(bot_id), bot_name, is_bot=True, username=bot_username), clock)
        self.set_clock = set_clock
        """Moves `clock` (POST /control/clock), when the one who gave the clock allows it."""
        self.methods = BotMethods(self.world)
        self.limiter = RateLimiter(limits, monotonic)
        self.faults = Faults()
        self.inject_fault = self.faults.inject
        self.violations: list[Violation] = []
        self.errors: list[str] = []
        """Failures of the test server itself (answered 500); a test should fail on them."""
        self.requests: list[RequestRecord] = []
        self.check_responses = check_responses
        self._monotonic = monotonic
        self._http: HTTPServer | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self._stopping = asyncio.Event()

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = Application(
            [
                (r"/bot([^/]+)/([A-Za-z]+)", _BotApiHandler, {"server": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"server": self}),
                *control_routes(self),
            ],
            compress_response=False,
            log_function=_no_access_log,
        )
        sockets = bind_sockets(port, host)
        self._port = sockets[0].getsockname()[1]
        self._host = host
        self._http = HTTPServer(app, xheaders=False)
        self._http.add_sockets(sockets)

    async def stop(self) -> None:
        """Release waiting polls and held requests, then close every connection."""
        await self.methods.shutdown()
        self._stopping.set()
        if self._http is not None:
            self._http.stop()
            await asyncio.sleep(0)
            await self._http.close_all_connections()
            self._http = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not started; await start() first")
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For PTB: it appends the token and "/method"."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.root_url}/file/bot"

    @property
    def control_url(self) -> str:
        return f"{self.root_url}/control"

    # ---- test helpers ----------------------------------------------------------------------

    @property
    def count_429(self) -> int:
        return sum(1 for r in self.requests if r.status == 429)

    def requests_for(self, method: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == method]

    def assert_no_violations(self) -> None:
        """Raise AssertionError listing spec violations and test server failures, if any."""
        if self.errors:
            raise AssertionError("the test server failed:\n" + "\n".join(self.errors))
        if self.violations:
            lines = "\n".join(f"{v.method}: {v.description}" for v in self.violations)
            raise AssertionError(f"bot requests violating the Bot API spec:\n{lines}")

    # ---- the pipeline ----------------------------------------------------------------------

    async def handle(
        self, token: str, method_name: str, request: HTTPServerRequest
    ) -> tuple[int, JSON] | Fault:
        """The status and body to answer, or the connection-level fault to play out."""
        arrived = self._monotonic()
        params: dict[str, Any] = {}
        try:
            form, files, body = _read_params(request)
            params = dict(body) if body is not None else dict(form)
            spec, params = self._checked(token, method_name, form, files, body)
            method_name = spec.name
            result = await self._perform(spec, params)
        except SpecError as failure:
            # Only check_responses raises it here: the server's own answer is malformed.
            error = self._internal_error(method_name, f"answer off the spec: {failure}")
        except ApiError as failure:
            error = failure
        except Exception:
            error = self._internal_error(method_name, traceback.format_exc())
        else:
            if isinstance(result, Fault):
                self._record(method_name, params, 0, arrived, f"fault: {result.kind}")
                return result
            self._record(method_name, params, 200, arrived, None)
            return 200, {"ok": True, "result": result}
        answer: JSON = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            answer["parameters"] = {"retry_after": error.retry_after}
        self._record(method_name, params, error.status, arrived, error.description)
        return error.status, answer

    def _checked(
        self,
        token: str,
        method_name: str,
        form: dict[str, str],
        files: dict[str, UploadedFile],
        body: JSON | None,
    ) -> tuple[ObjectSpec, dict[str, Any]]:
        """The method's spec and its decoded parameters, or the 401/400 error."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        spec = self.spec.method(method_name)
        if spec is None:
            raise self._violation(method_name, f"unknown method {method_name!r}", form, body)
        try:
            params = (
                self.spec.check_json(spec, body)
                if body is not None
                else self.spec.decode_form(spec, form, files)
            )
        except SpecError as exc:
            raise self._violation(spec.name, str(exc), form, body) from None
        return spec, params

    async def _perform(self, spec: ObjectSpec, params: dict[str, Any]) -> Any:
        """Injected fault, flood limits, then the method itself."""
        fault = self.faults.take(spec.name, params)
        if fault is not None and fault.kind != "lost":
            if fault.kind in CONNECTION_FAULTS:
                return fault
            status, description = fault.answer()
            raise ApiError(status, description, fault.retry_after if status == 429 else None)
        self._check_limits(spec.name, params)
        handler = self.methods.handler(spec.name)
        if handler is not None:
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        elif [str(t) for t in spec.returns] == ["Boolean"]:
            result = True
        else:
            raise ApiError(
                400, f"Bad Request: method {spec.name} is not simulated by the test server"
            )
        if self.check_responses:
            self.spec.check_value([str(t) for t in spec.returns], result, spec.name)
        return result if fault is None else fault

    def _check_limits(self, method: str, params: dict[str, object]) -> None:
        if not self.limiter.counts(method):
            return
        chat_id = params.get("chat_id")
        chat = None
        if chat_id is not None:
            try:
                chat = self.methods.chat(chat_id)
            except ApiError:
                chat = None
        retry_after = self.limiter.acquire(
            method, chat.id if chat else None, bool(chat and chat.is_group)
        )
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _internal_error(self, method: str, details: str) -> ApiError:
        """Record a fault of the test server itself; the 500 to answer with."""
        self.errors.append(f"{method}: {details}")
        _LOG.error("test server failed on %s: %s", method, details)
        return ApiError(500, "Internal Server Error: the test server failed, see server.errors")

    def _violation(
        self, method: str, description: str, form: dict[str, str], body: JSON | None
    ) -> ApiError:
        """Record a spec violation; the 400 error to answer it with."""
        params = {k: str(v) for k, v in (body if body is not None else form).items()}
        self.violations.append(Violation(method, description, params))
        return ApiError(400, f"Bad Request: {description}")

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        arrived: float,
        description: str | None,
    ) -> None:
        self.requests.append(RequestRecord(method, params, status, arrived, description))

    async def play_out(self, fault: Fault) -> None:
        """Hold a "timeout" request until its time is up or the server stops."""
        if fault.kind == "timeout":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.hold)


def _no_access_log(handler: RequestHandler) -> None:
    """The request log is `BotApiServer.requests`; tornado's would only add noise."""


def _read_params(
    request: HTTPServerRequest,
) -> tuple[dict[str, str], dict[str, UploadedFile], JSON | None]:
    """Form fields (query + body), uploaded files, or the JSON body."""
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith(_JSON_TYPE) and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: the JSON body must be an object")
        return {}, {}, body
    form = {k: v[-1].decode("utf-8", "replace") for k, v in request.query_arguments.items()}
    form.update({k: v[-1].decode("utf-8", "replace") for k, v in request.body_arguments.items()})
    files = {
        name: UploadedFile(parts[-1].filename, parts[-1].body, parts[-1].content_type)
        for name, parts in request.files.items()
    }
    return form, files, None


class _BotApiHandler(RequestHandler):
    def initialize(self, server: BotApiServer) -> None:
        self.server = server

    def compute_etag(self) -> None:
        return None

    async def get(self, token: str, method: str) -> None:
        outcome = await self.server.handle(token, method, self.request)
        if isinstance(outcome, Fault):
            await self.server.play_out(outcome)
            self.request.connection.close()  # type: ignore[union-attr]
            self._finished = True
            return
        status, answer = outcome
        self.set_status(status)
        self.set_header("Content-Type", _JSON_TYPE)
        self.finish(json.dumps(answer, ensure_ascii=False))

    post = get


class _FileHandler(RequestHandler):
    def initialize(self, server: BotApiServer) -> None:
        self.server = server

    def get(self, token: str, path: str) -> None:
        if token != self.server.token:
            self.set_status(401)
            self.finish({"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        stored = self.server.world.files.get(path.rsplit("/", 1)[-1])
        if stored is None:
            self.set_status(404)
            self.finish({"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.content)
