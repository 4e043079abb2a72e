"""``/mcp`` while identity cannot be reached: a 503 problem the client can retry, not the SDK's 500."""

from __future__ import annotations

import grpc
import orjson

from gateway.mcp.provider import KeysFirst, McpTokenVerifier


def unreachable() -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "down")


async def call(app, path: str = "/mcp") -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    return sent


async def inner(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"sdk"})


async def test_no_keys_and_no_identity_is_503_with_retry_after() -> None:
    async def fetch() -> str:
        raise unreachable()

    sent = await call(KeysFirst(inner, McpTokenVerifier(fetch)))
    start, body = sent[0], sent[1]
    assert start["status"] == 503
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    assert headers["retry-after"] == "1" and headers["content-type"] == "application/problem+json"
    assert orjson.loads(body["body"])["type"].endswith("/unavailable")


async def test_known_keys_or_other_paths_go_to_the_sdk() -> None:
    fetched = []

    async def fetch() -> str:
        fetched.append(1)
        return orjson.dumps(
            {
                "keys": [
                    {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}
                ]
            }
        ).decode()

    app = KeysFirst(inner, McpTokenVerifier(fetch))
    assert (await call(app))[1]["body"] == b"sdk"
    assert (await call(app))[1]["body"] == b"sdk" and len(fetched) == 1  # fetched once, then kept

    async def down() -> str:
        raise unreachable()

    assert (await call(KeysFirst(inner, McpTokenVerifier(down)), path="/token"))[1]["body"] == b"sdk"
