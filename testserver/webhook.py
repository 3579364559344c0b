"""Delivery of updates to a webhook set with setWebhook, as Telegram does it.

Updates go one per POST, in order, with the secret token header when one was set; an update
counts as delivered on a 2xx answer, otherwise it is retried after `retry_delay` seconds and the
error is kept for getWebhookInfo.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

import httpx

from testserver.world import World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(slots=True)
class WebhookError:
    date: int
    message: str


class WebhookPusher:
    def __init__(
        self, world: World, url: str, secret_token: str | None, retry_delay: float = 0.5
    ) -> None:
        self.world = world
        self.url = url
        self.secret_token = secret_token
        self.retry_delay = retry_delay
        self.delivered = 0
        self.last_error: WebhookError | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers[SECRET_HEADER] = self.secret_token
        async with httpx.AsyncClient(timeout=10.0) as http:
            while True:
                pending = self.world.pending_updates(None, 1)
                if not pending:
                    await self.world.update_arrived()
                    continue
                update = pending[0]
                try:
                    answer = await http.post(
                        self.url, content=json.dumps(update.to_api()), headers=headers
                    )
                    failure = None if answer.is_success else f"Wrong response: {answer.status_code}"
                except httpx.HTTPError as exc:
                    failure = f"Connection failed: {type(exc).__name__}"
                if failure is None:
                    self.world.pending_updates(update.update_id + 1, 1)
                    self.delivered += 1
                else:
                    self.last_error = WebhookError(int(self.world.clock().timestamp()), failure)
                    await asyncio.sleep(self.retry_delay)
