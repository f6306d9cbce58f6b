"""An in-process client transport for answers that do not end (server-sent events)."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx


class StreamingASGI(httpx.AsyncBaseTransport):
    """The app over ASGI with its answer streamed as sent (httpx's ASGITransport waits for
    the whole answer, which an event stream never ends); closing the response disconnects."""

    def __init__(self, app: Any, client: tuple[str, int] = ("10.9.8.7", 50000)) -> None:
        self.app, self.client = app, client
        self.finished: list[bool] = []  # per response: did the app stop once disconnected?

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        chunks: asyncio.Queue[bytes | None] = asyncio.Queue()
        started: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        gone, asked = asyncio.Event(), [False]

        async def receive() -> dict[str, Any]:
            if not asked[0]:
                asked[0] = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.set_result(message)
            elif message["type"] == "http.response.body":
                await chunks.put(message.get("body", b""))
                if not message.get("more_body"):
                    await chunks.put(None)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": request.method, "scheme": request.url.scheme, "path": request.url.path,
                 "raw_path": request.url.raw_path.split(b"?")[0],
                 "query_string": request.url.query, "root_path": "",
                 "headers": [(k.lower(), v) for k, v in request.headers.raw],
                 "server": (request.url.host, request.url.port or 443),
                 "client": self.client}
        task = asyncio.create_task(self.app(scope, receive, send))
        await asyncio.wait({started, task}, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            task.result()
        finished = self.finished

        class Body(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                while (chunk := await chunks.get()) is not None:
                    yield chunk

            async def aclose(self) -> None:
                gone.set()
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout=5)
                    finished.append(True)
                except TimeoutError:
                    task.cancel()
                    finished.append(False)

        message = started.result()
        return httpx.Response(message["status"], headers=message["headers"], stream=Body())
