"""Sign-in with OpenID Connect providers (Google, a company's identity provider) and SSO discovery."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse, RedirectResponse

from aira.identity.v1 import oidc_pb2
from gateway.deps import State
from gateway.schemas import OidcStartOut, SsoProviderOut, TokenPairOut, from_proto

router = APIRouter(prefix="/v1/auth", tags=["auth"])

ProviderName = Annotated[str, Path(max_length=64, description="A configured provider, e.g. google")]
# Authorization URLs, states and tokens must not be kept by browsers or proxies.
NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/oidc/{provider}/start",
    response_model=None,
    status_code=302,
    responses={
        302: {"description": "Redirect to the provider's sign-in page"},
        200: {"model": OidcStartOut, "description": "With format=json: the URL to send the browser to"},
    },
    summary="Start signing in with an OIDC provider",
)
async def start(
    provider: ProviderName,
    gateway: State,
    next_path: Annotated[str, Query(max_length=2048, description="Where to land afterwards (relative)")] = "/",
    redirect_uri: Annotated[
        str, Query(max_length=2048, description="Where the provider returns to; default this API's callback")
    ] = "",
    email: Annotated[str | None, Query(max_length=320, description="Passed to the provider as login_hint")] = None,
    response_format: Annotated[Literal["redirect", "json"], Query(alias="format")] = "redirect",
) -> Response:
    request = oidc_pb2.OidcStartRequest(provider=provider, next_path=next_path, redirect_uri=redirect_uri)
    if email:
        request.email = email
    reply = await gateway.clients.oidc.Start(request, metadata=gateway.principals.metadata(None))
    if response_format == "json":
        return JSONResponse(from_proto(reply), headers=NO_STORE)
    return RedirectResponse(reply.authorization_url, status_code=302, headers=NO_STORE)


@router.get("/oidc/{provider}/callback", response_model=TokenPairOut, summary="Finish signing in with an OIDC provider")
async def callback(
    provider: ProviderName,
    gateway: State,
    response: Response,
    code: Annotated[str, Query(max_length=2048)] = "",
    state: Annotated[str, Query(max_length=4096)] = "",
    error: Annotated[str, Query(max_length=256, description="Sent by the provider instead of a code")] = "",
):
    pair = await gateway.clients.oidc.Callback(
        oidc_pb2.OidcCallbackRequest(provider=provider, code=code, state=state, error=error),
        metadata=gateway.principals.metadata(None),
    )
    response.headers.update(NO_STORE)
    return from_proto(pair)


@router.get("/sso/discover", response_model=SsoProviderOut, summary="The single sign-on provider of an email's domain")
async def discover(gateway: State, email: Annotated[str, Query(min_length=3, max_length=320)]):
    reply = await gateway.clients.oidc.DiscoverProvider(
        oidc_pb2.DiscoverProviderRequest(email=email), metadata=gateway.principals.metadata(None)
    )
    return from_proto(reply)
