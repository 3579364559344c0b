"""The webhook: Telegram's posts answered once their update is stored (500 otherwise, so that
Telegram delivers it again). Imported only in webhook mode: tornado takes a while to import."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler

from bot.edge.updates import UpdateStream
from bot.platform.fastjson import loads

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    """Receives Telegram's posts and answers each once its update is stored."""

    def __init__(self, stream: UpdateStream, path: str, secret: str) -> None:
        self._server = HTTPServer(
            TornadoApplication(
                [(f"/{path}", _WebhookHandler, {"stream": stream, "secret": secret})]
            )
        )

    def listen(self, address: str, port: int) -> None:
        self._server.listen(port, address)

    async def stop(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()


class _WebhookHandler(RequestHandler):
    def initialize(self, stream: UpdateStream, secret: str) -> None:
        self._stream = stream
        self._secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            self.set_status(403)
            return
        try:
            data = _update(loads(self.request.body))
        except ValueError:
            self.set_status(400)
            return
        try:
            await self._stream.handle([data])
        except Exception:
            log.exception("webhook update %s failed; Telegram delivers it again", data["update_id"])
            self.set_status(500)
            return
        self.set_status(200)


def _update(found: Any) -> dict[str, Any]:
    if not isinstance(found, dict) or not isinstance(found.get("update_id"), int):
        raise ValueError("not an update")
    return found
