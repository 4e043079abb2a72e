"""A local OpenID Connect issuer for the tests: its own keys, discovery, JWKS and token endpoint over HTTP.

The tests play the browser. They take the authorization URL Aira built and :meth:`OidcIssuer.authorize`
it as if the person had signed in at the provider, which gives a code bound to the request's client,
redirect URI, nonce and PKCE challenge. The token endpoint (served by uvicorn in a thread, on a real
port) checks the client's credentials, the redirect URI and the PKCE verifier, accepts each code once,
and answers with an ID token signed by the issuer's key — or by whatever key a test asks for.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.harness import free_port

_UNSET: Any = object()


def new_key(algorithm: str) -> Any:
    """A fresh private key for ``algorithm`` (RS256 or ES256)."""
    return rsa.generate_private_key(65537, 2048) if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1())


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


@dataclass
class Grant:
    """What a code stands for: the authorization request it answers and the ID token it yields."""

    client_id: str
    redirect_uri: str
    challenge: str
    claims: dict[str, Any]
    key: Any
    kid: str | None


@dataclass
class OidcIssuer:
    client_id: str = "aira-test-client"
    client_secret: str = "issuer-test-secret"
    algorithm: str = "RS256"
    url: str = ""
    kid: str = field(default_factory=lambda: f"key-{secrets.token_hex(4)}")
    key: Any = None
    jwks_fetches: int = 0
    token_auth_methods: list[str] = field(default_factory=list)  # as seen at the token endpoint
    _grants: dict[str, Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.key = self.key or new_key(self.algorithm)

    def provider_config(self, **extra: Any) -> dict[str, Any]:
        """This issuer as an entry of AIRA_OIDC_PROVIDERS."""
        return {"issuer": self.url, "client_id": self.client_id, "client_secret": self.client_secret, **extra}

    def rotate_key(self) -> None:
        """Sign with a new key under a new key id; only the new one is published from now on."""
        self.key, self.kid = new_key(self.algorithm), f"key-{secrets.token_hex(4)}"

    # --- the browser's side -------------------------------------------------------------------

    def authorize(
        self,
        authorization_url: str,
        *,
        sub: str | None = None,
        email: str | None = "ada@example.com",
        email_verified: Any = True,
        name: str | None = "Ada Lovelace",
        sign_with: Any = None,
        kid: Any = _UNSET,
        lifetime: int = 300,
        **claims: Any,
    ) -> tuple[str, str]:
        """Sign a person in for this authorization request: ``(code, state)`` to hand to the callback.

        Keyword claims override the ID token's (``aud=…``, ``nonce=…``); None removes one. ``lifetime``
        sets ``exp`` in seconds from now (negative: already expired).
        ``sign_with`` signs with another private key (under this issuer's key id unless ``kid`` is given).
        """
        params = dict(parse_qsl(urlsplit(authorization_url).query))
        assert authorization_url.startswith(f"{self.url}/authorize?"), authorization_url
        assert params["response_type"] == "code" and params["code_challenge_method"] == "S256", params
        assert params["client_id"] == self.client_id and "openid" in params["scope"].split(), params
        now = int(time.time())
        values = {
            "iss": self.url,
            "sub": sub or secrets.token_hex(8),
            "aud": self.client_id,
            "iat": now,
            "exp": now + lifetime,
            "nonce": params["nonce"],
            "email": email,
            "email_verified": email_verified,
            "name": name,
        } | claims
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = Grant(
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                challenge=params["code_challenge"],
                claims={k: v for k, v in values.items() if v is not None},
                key=sign_with or self.key,
                kid=self.kid if kid is _UNSET else kid,
            )
        return code, params["state"]

    # --- the provider's side ------------------------------------------------------------------

    def _public_jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk = algorithm.to_jwk(self.key.public_key(), as_dict=True)
        return jwk | {"kid": self.kid, "use": "sig", "alg": self.algorithm}

    async def _discovery(self, request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [self.algorithm],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, request: Request) -> JSONResponse:
        with self._lock:
            self.jwks_fetches += 1
        return JSONResponse({"keys": [self._public_jwk()]})

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        if request.headers.get("authorization", "").startswith("Basic "):
            decoded = base64.b64decode(request.headers["authorization"][6:]).decode()
            client_id, _, secret = (unquote(part) for part in decoded.partition(":"))
            method = "client_secret_basic"
        else:
            client_id, secret, method = form.get("client_id", ""), form.get("client_secret", ""), "client_secret_post"
        self.token_auth_methods.append(method)
        if (client_id, secret) != (self.client_id, self.client_secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "authorization_code":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        with self._lock:
            grant = self._grants.pop(str(form.get("code", "")), None)  # a code works once
        if (
            grant is None
            or grant.client_id != client_id
            or grant.redirect_uri != form.get("redirect_uri")
            or grant.challenge != s256(str(form.get("code_verifier", "")))
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        headers = {"kid": grant.kid} if grant.kid else {}
        id_token = jwt.encode(grant.claims, grant.key, algorithm=self.algorithm, headers=headers)
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
            headers={"Cache-Control": "no-store"},
        )

    @contextlib.contextmanager
    def serving(self) -> Iterator[OidcIssuer]:
        """Serve the issuer on a free local port until the block ends."""
        app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery),
                Route("/jwks", self._jwks),
                Route("/token", self._token, methods=["POST"]),
            ]
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", lifespan="off", log_level="warning")
        )
        thread = threading.Thread(target=server.run, name=f"oidc-issuer-{port}", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the OIDC issuer did not start"
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)
