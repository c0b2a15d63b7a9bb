"""The codec server: lets the Temporal UI (and `temporal --codec-endpoint`) show decrypted payloads
to those allowed. POST /encode and /decode take and return proto-JSON Payloads."""

from __future__ import annotations

from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from relance.temporal.codec import EncryptionCodec

ALLOWED_HEADERS = "content-type,x-namespace,authorization"


def build_app(codec: EncryptionCodec, cors_origins: list[str], token: str = "") -> web.Application:
    def cors(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin in cors_origins:
            response.headers.update({
                "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Allow-Credentials": "true",
            })
        return response

    def handler(transform):
        async def handle(request: web.Request) -> web.StreamResponse:
            if request.method == "OPTIONS":
                return cors(request, web.Response())
            if token and request.headers.get("Authorization") != f"Bearer {token}":
                return cors(request, web.Response(status=401, text="missing or wrong bearer token"))
            payloads = json_format.Parse(await request.read(), Payloads())
            result = Payloads(payloads=await transform(list(payloads.payloads)))
            return cors(request, web.Response(content_type="application/json",
                                              text=json_format.MessageToJson(result)))
        return handle

    app = web.Application()
    for path, transform in (("/encode", codec.encode), ("/decode", codec.decode)):
        app.router.add_route("POST", path, handler(transform))
        app.router.add_route("OPTIONS", path, handler(transform))
    return app


def serve(codec: EncryptionCodec, host: str, port: int, cors_origins: list[str], token: str = "") -> None:
    web.run_app(build_app(codec, cors_origins, token), host=host, port=port, print=None)
