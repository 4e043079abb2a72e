"""The OAuth 2.1 authorization server for MCP clients: clients, codes, token families, grants.

The gateway runs the HTTP side with the official ``mcp`` SDK (metadata, registration, authorize,
token and revocation endpoints, PKCE S256 checks) and keeps nothing itself: everything it stores
or decides about a grant it asks here (see docs/decisions/0007-mcp-oauth.md).

- A grant is bound to exactly one project. Only a member may consent, and only to scopes their
  role could grant (``authz.grantable_scopes``); every later use acts with their *current* role,
  and scopes the role no longer allows are dropped on refresh.
- Codes (5 minutes) and refresh tokens (30 days) are stored as SHA-256. Spending either is one
  conditional UPDATE. A code presented twice, or a spent refresh token presented again, means a
  copy leaked: the whole family of tokens issued from that consent is revoked.
- Access tokens are EdDSA JWTs (audience ``aira-mcp``, 1 hour) signed with identity's access-token
  keys, so the gateway verifies them with the JWKS it already caches; it asks ``load_grant`` only
  for the current role and whether the family was revoked, and remembers the answer for seconds.
- Confidential clients' secrets are not stored: they are HMACs of the client id under a key
  derived from the deployment secret; the stored SHA-256 only recognises them.
- Refusals are logged as ``mcp_oauth_rejected`` with a reason, in a transaction of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.chassis import context
from services.chassis import keys as keyfiles
from services.chassis.authz import Action, grantable_scopes
from services.chassis.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from services.chassis.ids import uuid7
from services.chassis.keys import SecretKey
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.identity import mcp_oauth_repository as store
from services.identity import repository
from services.identity.access import authorize, caller
from services.identity.models import McpOAuthAuthorizationCode, McpOAuthClient, McpOAuthRefreshToken
from services.identity.rate_limits import Limit, RateLimiter
from services.identity.security_log import SecurityLog
from services.identity.tokens import ISSUER, hash_token, new_secret_token

# MCP scopes are chassis API-key scopes (authz.SCOPES): "read" always, "write" when asked for.
SCOPES = ("read", "write")
DEFAULT_SCOPES = ("read",)
AUDIENCE = "aira-mcp"
TOKEN_TYPE = "mcp_access"
CODE_TTL = timedelta(minutes=5)
ACCESS_TTL = timedelta(hours=1)
REFRESH_TTL = timedelta(days=30)
REGISTER_PER_IP = Limit("mcp-register:ip", 50, timedelta(hours=1))

GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})
AUTH_METHODS = frozenset({"none", "client_secret_post", "client_secret_basic"})
MAX_REDIRECT_URIS = 10
MAX_URI = 2000
MAX_NAME = 200
MAX_METADATA_BYTES = 16 * 1024
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url(SHA-256), unpadded
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_NEVER_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss"})


@dataclass(frozen=True)
class McpTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: list[str]


@dataclass(frozen=True)
class Grant:
    """What an access token stands for right now."""

    client_id: str
    user_id: uuid.UUID
    project_id: uuid.UUID
    role: str
    scopes: list[str]
    resource: str
    expires_at: int
    family_id: uuid.UUID


@dataclass(frozen=True)
class RegisteredClient:
    client: McpOAuthClient
    secret: str | None


class McpTokenSigner:
    """Signs and checks MCP access tokens with identity's access-token keys (published as JWKS)."""

    def __init__(self, signing_key: Ed25519PrivateKey, verify_keys: list[Ed25519PublicKey], ttl: timedelta) -> None:
        self._key = signing_key
        self._kid = keyfiles.key_id(signing_key.public_key())
        self._verify_keys = {keyfiles.key_id(k): k for k in verify_keys}
        self.ttl_seconds = int(ttl.total_seconds())

    @classmethod
    def from_keys_dir(cls, keys_dir: Path, ttl: timedelta = ACCESS_TTL) -> McpTokenSigner:
        return cls(
            keyfiles.load_private_key(keys_dir, keyfiles.JWT_SIGNING),
            keyfiles.load_public_keys(keys_dir, keyfiles.JWT_SIGNING),
            ttl,
        )

    def issue(
        self,
        *,
        user_id: uuid.UUID,
        project_id: uuid.UUID,
        client_id: str,
        scopes: list[str],
        family_id: uuid.UUID,
        resource: str | None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user_id),
            "typ": TOKEN_TYPE,
            "pid": str(project_id),
            "cid": client_id,
            "scp": scopes,
            "fam": str(family_id),
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": str(uuid7()),
        }
        if resource:
            claims["rsc"] = resource
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._kid})

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a live MCP access token signed by us, else None."""
        try:
            key = self._verify_keys.get(jwt.get_unverified_header(token).get("kid"))
            if key is None:
                return None
            claims = jwt.decode(
                token,
                key,
                algorithms=["EdDSA"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            if claims.get("typ") != TOKEN_TYPE:
                return None
            uuid.UUID(claims["sub"]), uuid.UUID(claims["pid"]), uuid.UUID(claims["fam"])
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            return None
        return claims


def check_redirect_uri(uri: str) -> str:
    """``uri`` if it may receive codes (OAuth 2.1 §2.3.1, RFC 8252 §7), else InvalidArgument.

    Accepted: https URLs; http only on a loopback host (native apps); private-use schemes
    (``com.example.app:/cb``, ``cursor://…``). Never: fragments, credentials, script or file
    schemes, whitespace.
    """
    if not uri or len(uri) > MAX_URI or any(c.isspace() or unicodedata.category(c).startswith("C") for c in uri):
        raise InvalidArgument("redirect URIs must be non-empty URLs without spaces", slug="invalid-redirect-uri")
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme) or scheme in _NEVER_SCHEMES:
        raise InvalidArgument(f"redirect URI scheme {scheme!r} is not allowed", slug="invalid-redirect-uri")
    if parts.fragment or "#" in uri:
        raise InvalidArgument("redirect URIs must not have a fragment", slug="invalid-redirect-uri")
    if parts.username or parts.password:
        raise InvalidArgument("redirect URIs must not carry credentials", slug="invalid-redirect-uri")
    if scheme in ("http", "https") and not parts.hostname:
        raise InvalidArgument("redirect URI has no host", slug="invalid-redirect-uri")
    if scheme == "http" and parts.hostname not in _LOOPBACK:
        raise InvalidArgument("http redirect URIs must point at a loopback address", slug="invalid-redirect-uri")
    return uri


def _scope_list(raw: str) -> list[str]:
    return [s for s in raw.split(" ") if s]


def _clean_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    """Known scopes, sorted, "read" always included (nothing works without it)."""
    wanted = set(scopes) or set(DEFAULT_SCOPES)
    unknown = sorted(wanted - set(SCOPES))
    if unknown:
        raise InvalidArgument(
            f"scopes must be some of {', '.join(SCOPES)}; unknown: {', '.join(unknown)}", slug="invalid-scopes"
        )
    return sorted(wanted | set(DEFAULT_SCOPES))


class McpOAuth:
    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        signer: McpTokenSigner,
        secret: SecretKey,
        security_log: SecurityLog,
        limiter: RateLimiter,
        refresh_ttl: timedelta = REFRESH_TTL,
        code_ttl: timedelta = CODE_TTL,
    ) -> None:
        self._uow = uow_factory
        self._signer = signer
        self._client_secret_key = secret.derive("mcp-client-secret")
        self._log = security_log
        self._limiter = limiter
        self._refresh_ttl = refresh_ttl
        self._code_ttl = code_ttl

    # --- who may call --------------------------------------------------------------------

    @staticmethod
    def _require_gateway() -> None:
        principal = context.principal.get()
        if principal is None or principal.kind != "service":
            raise PermissionDenied("only the gateway runs the MCP authorization server")

    async def _reject(self, reason: str, user_id: uuid.UUID | None = None, **details: Any) -> None:
        await self._log.record_now("mcp_oauth_rejected", user_id, reason=reason, **details)

    # --- clients -------------------------------------------------------------------------

    def _derived_secret(self, client_id: str) -> str:
        digest = hmac.new(self._client_secret_key, client_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def client_secret(self, client: McpOAuthClient) -> str | None:
        """The secret of a confidential client (None for public ones, or when the key changed)."""
        if client.client_secret_hash is None:
            return None
        secret = self._derived_secret(client.client_id)
        return secret if hmac.compare_digest(hash_token(secret), client.client_secret_hash) else None

    async def register_client(
        self,
        uow: UnitOfWork,
        *,
        client_id: str,
        redirect_uris: list[str],
        client_name: str,
        scope: str,
        grant_types: list[str],
        auth_method: str,
        metadata_json: str,
    ) -> RegisteredClient:
        """Register a client (RFC 7591); its secret, if confidential, is returned this once and on GetClient."""
        self._require_gateway()
        await self._limiter.hit(REGISTER_PER_IP, context.client_ip.get() or "")
        try:
            metadata = self._check_registration(
                client_id, redirect_uris, client_name, scope, grant_types, auth_method, metadata_json
            )
        except InvalidArgument as exc:
            await self._reject(
                "invalid_redirect_uri" if exc.slug == "invalid-redirect-uri" else "invalid_client_metadata",
                endpoint="register",
                client_id=client_id[:128],
                detail=exc.detail,
            )
            raise
        secret = self._derived_secret(client_id) if auth_method != "none" else None
        client = await store.add_client(
            uow,
            McpOAuthClient(
                client_id=client_id,
                client_secret_hash=hash_token(secret) if secret else None,
                redirect_uris=redirect_uris,
                client_name=unicodedata.normalize("NFC", client_name).strip() or None,
                scope=" ".join(_clean_scopes(_scope_list(scope))) if scope else " ".join(SCOPES),
                grant_types=sorted(set(grant_types)),
                token_endpoint_auth_method=auth_method,
                metadata_json=metadata,
            ),
        )
        return RegisteredClient(client, secret)

    @staticmethod
    def _check_registration(
        client_id: str,
        redirect_uris: list[str],
        client_name: str,
        scope: str,
        grant_types: list[str],
        auth_method: str,
        metadata_json: str,
    ) -> dict[str, Any]:
        if not _CLIENT_ID.match(client_id):
            raise InvalidArgument("client_id must be 1-128 URL-safe characters", slug="invalid-client-metadata")
        if not 1 <= len(redirect_uris) <= MAX_REDIRECT_URIS:
            raise InvalidArgument(f"register 1-{MAX_REDIRECT_URIS} redirect URIs", slug="invalid-redirect-uri")
        for uri in redirect_uris:
            check_redirect_uri(uri)
        if len(client_name) > MAX_NAME or any(unicodedata.category(c) == "Cc" for c in client_name):
            raise InvalidArgument(
                f"client_name must be at most {MAX_NAME} printable characters", slug="invalid-client-metadata"
            )
        _clean_scopes(_scope_list(scope))
        if "authorization_code" not in grant_types or not set(grant_types) <= GRANT_TYPES:
            raise InvalidArgument(
                "grant_types must include authorization_code and may add refresh_token", slug="invalid-client-metadata"
            )
        if auth_method not in AUTH_METHODS:
            raise InvalidArgument(
                f"token_endpoint_auth_method must be one of {', '.join(sorted(AUTH_METHODS))}",
                slug="invalid-client-metadata",
            )
        if len(metadata_json.encode()) > MAX_METADATA_BYTES:
            raise InvalidArgument("client metadata is too large", slug="invalid-client-metadata")
        try:
            metadata = orjson.loads(metadata_json) if metadata_json else {}
        except orjson.JSONDecodeError as exc:
            raise InvalidArgument("client metadata is not JSON", slug="invalid-client-metadata") from exc
        if not isinstance(metadata, dict):
            raise InvalidArgument("client metadata must be a JSON object", slug="invalid-client-metadata")
        metadata.pop("client_secret", None)
        return metadata

    async def get_client(self, uow: UnitOfWork, client_id: str) -> RegisteredClient:
        self._require_gateway()
        client = await store.client(uow, client_id) if client_id else None
        if client is None:
            raise NotFound("no such client", slug="mcp-client-not-found")
        return RegisteredClient(client, self.client_secret(client))

    # --- consent -------------------------------------------------------------------------

    async def create_code(
        self,
        uow: UnitOfWork,
        *,
        client_id: str,
        project_id: str,
        redirect_uri: str,
        redirect_uri_provided_explicitly: bool,
        code_challenge: str,
        scopes: list[str],
        resource: str,
    ) -> tuple[str, datetime]:
        """A code for the signed-in person's consent to ``client_id`` acting in ``project_id``."""
        principal = caller()
        if principal.kind != "user":
            raise PermissionDenied("a signed-in person approves MCP access", slug="person-required")
        assert principal.user_id is not None
        client = await store.client(uow, client_id) if client_id else None
        if client is None:
            await self._reject("unknown_client", principal.user_id, endpoint="consent", client_id=client_id[:128])
            raise NotFound("no such client", slug="mcp-client-not-found")
        if redirect_uri not in client.redirect_uris:
            await self._reject(
                "redirect_uri_not_registered",
                principal.user_id,
                endpoint="consent",
                client_id=client_id,
                redirect_uri=redirect_uri[:MAX_URI],
            )
            raise InvalidArgument("this redirect URI is not registered for the client", slug="invalid-redirect-uri")
        if not _CHALLENGE.match(code_challenge):
            raise InvalidArgument("code_challenge must be an S256 PKCE challenge", slug="invalid-code-challenge")
        wanted = _clean_scopes(scopes)
        allowed = _scope_list(client.scope or "") or list(SCOPES)
        if not set(wanted) <= set(allowed):
            raise InvalidArgument(f"the client was registered for {', '.join(allowed)} only", slug="invalid-scopes")
        if len(resource) > MAX_URI:
            raise InvalidArgument("resource is too long", slug="validation-failed")
        access = await authorize(uow, project_id, Action.READ)
        beyond = [s for s in wanted if s not in grantable_scopes(access.role)]
        if beyond:
            await self._reject(
                "scope_escalation",
                access.user_id,
                endpoint="consent",
                client_id=client_id,
                project_id=access.project_id,
                role=access.role,
                scopes=beyond,
            )
            raise PermissionDenied(
                f"your role in this project ({access.role}) cannot grant {', '.join(beyond)}", slug="scope-escalation"
            )
        code = new_secret_token()
        expires_at = datetime.now(UTC) + self._code_ttl
        await store.add_code(
            uow,
            code_hash=code.token_hash,
            client_id=client_id,
            user_id=access.user_id,
            project_id=access.project_id,
            redirect_uri=redirect_uri,
            redirect_uri_provided_explicitly=redirect_uri_provided_explicitly,
            code_challenge=code_challenge,
            scopes=wanted,
            resource=resource or None,
            expires_at=expires_at,
        )
        self._log.add(
            uow,
            "mcp_oauth_granted",
            access.user_id,
            client_id=client_id,
            client_name=client.client_name,
            project_id=access.project_id,
            role=access.role,
            scopes=wanted,
        )
        return code.token, expires_at

    # --- codes ---------------------------------------------------------------------------

    async def load_code(self, uow: UnitOfWork, client_id: str, code: str) -> McpOAuthAuthorizationCode:
        """The stored code (spent or not: the exchange tells a replay); NotFound for unknown or another client's."""
        self._require_gateway()
        found = await store.code_by_hash(uow, hash_token(code)) if code else None
        if found is None or found.client_id != client_id:
            raise NotFound("no such authorization code", slug="mcp-code-not-found")
        return found

    async def exchange_code(self, uow: UnitOfWork, client_id: str, code: str) -> McpTokens:
        """Spend the code once and issue the first tokens of its family (family id = code id)."""
        self._require_gateway()
        code_hash = hash_token(code) if code else ""
        spent = await store.spend_code(uow, code_hash, client_id) if code else None
        if spent is None:
            found = await store.code_by_hash(uow, code_hash) if code else None
            if found is None or found.client_id != client_id:
                await self._reject("unknown_code", endpoint="token", client_id=client_id[:128])
                raise Unauthenticated("this authorization code is not valid", slug="mcp-code-invalid")
            if found.consumed_at is not None:
                # RFC 6749 §4.1.2: a code used twice revokes what it produced.
                await self._revoke_family_now(found.id, found.user_id, client_id, "code_reused")
                raise Unauthenticated(
                    "this authorization code was already used; the tokens issued for it are revoked",
                    slug="mcp-code-reused",
                )
            await self._reject("code_expired", found.user_id, endpoint="token", client_id=client_id)
            raise Unauthenticated("this authorization code has expired", slug="mcp-code-expired")
        role = await self._live_role(spent.user_id, spent.project_id, uow)
        if role is None:
            await self._reject("not_a_member", spent.user_id, endpoint="token", client_id=client_id)
            raise Unauthenticated("the person who approved this is no longer in the project", slug="mcp-grant-orphaned")
        return await self._issue(
            uow,
            client_id=client_id,
            user_id=spent.user_id,
            project_id=spent.project_id,
            family_id=spent.id,
            scopes=_narrow(spent.scopes, role),
            resource=spent.resource,
        )

    # --- refresh tokens ------------------------------------------------------------------

    async def load_refresh_token(self, uow: UnitOfWork, client_id: str, token: str) -> McpOAuthRefreshToken:
        """The stored token (used or revoked too: the exchange decides); NotFound for unknown or another client's."""
        self._require_gateway()
        found = await store.refresh_token_by_hash(uow, hash_token(token)) if token else None
        if found is None or found.client_id != client_id:
            raise NotFound("no such refresh token", slug="mcp-refresh-token-not-found")
        return found

    async def exchange_refresh_token(self, uow: UnitOfWork, client_id: str, token: str, scopes: list[str]) -> McpTokens:
        """Rotate: spend the token, issue its successor in the same family."""
        self._require_gateway()
        stored = await store.refresh_token_by_hash(uow, hash_token(token)) if token else None
        if stored is None or stored.client_id != client_id:
            await self._reject("unknown_refresh_token", endpoint="token", client_id=client_id[:128])
            raise Unauthenticated("this refresh token is not valid", slug="mcp-refresh-token-invalid")
        details = {"endpoint": "token", "client_id": client_id, "family": stored.family_id}
        if stored.revoked_at is not None:
            await self._reject("refresh_token_revoked", stored.user_id, **details)
            raise Unauthenticated("this grant was revoked; authorize again", slug="mcp-grant-revoked")
        if stored.expires_at <= datetime.now(UTC):
            await self._reject("refresh_token_expired", stored.user_id, **details)
            raise Unauthenticated("this refresh token has expired; authorize again", slug="mcp-refresh-token-expired")
        wanted = sorted(set(scopes)) or list(stored.scopes)
        if not set(wanted) <= set(stored.scopes):
            raise InvalidArgument("a refresh cannot add scopes to the grant", slug="invalid-scopes")
        # Checked before the token is spent: revoking the family in a transaction of its own must
        # not wait for a row this one has locked.
        role = await self._live_role(stored.user_id, stored.project_id, uow)
        if role is None:
            await self._revoke_family_now(stored.family_id, stored.user_id, client_id, "not_a_member")
            raise Unauthenticated("the person who approved this is no longer in the project", slug="mcp-grant-orphaned")
        # Of two racing uses exactly one spends the token; the other, like any later use, is a replay.
        if stored.used_at is not None or not await store.spend_refresh_token(uow, stored.id):
            await self._revoke_family_now(stored.family_id, stored.user_id, client_id, "refresh_token_reused")
            raise Unauthenticated(
                "this refresh token was already used; the grant has been revoked", slug="mcp-refresh-token-reused"
            )
        return await self._issue(
            uow,
            client_id=client_id,
            user_id=stored.user_id,
            project_id=stored.project_id,
            family_id=stored.family_id,
            scopes=_narrow(wanted, role),
            resource=stored.resource,
        )

    async def _issue(
        self,
        uow: UnitOfWork,
        *,
        client_id: str,
        user_id: uuid.UUID,
        project_id: uuid.UUID,
        family_id: uuid.UUID,
        scopes: list[str],
        resource: str | None,
    ) -> McpTokens:
        refresh = new_secret_token()
        await store.add_refresh_token(
            uow,
            token_hash=refresh.token_hash,
            client_id=client_id,
            user_id=user_id,
            project_id=project_id,
            family_id=family_id,
            scopes=scopes,
            resource=resource,
            expires_at=datetime.now(UTC) + self._refresh_ttl,
        )
        access = self._signer.issue(
            user_id=user_id,
            project_id=project_id,
            client_id=client_id,
            scopes=scopes,
            family_id=family_id,
            resource=resource,
        )
        return McpTokens(access, refresh.token, self._signer.ttl_seconds, scopes)

    async def _revoke_family_now(self, family_id: uuid.UUID, user_id: uuid.UUID, client_id: str, reason: str) -> None:
        """Theft response, committed at once: the caller's transaction is about to fail."""
        async with self._uow() as uow:
            await store.revoke_family(uow, family_id)
            self._log.add(
                uow, "mcp_oauth_rejected", user_id, reason=reason, client_id=client_id, family=family_id, revoked=True
            )
            await uow.commit()

    async def _live_role(self, user_id: uuid.UUID, project_id: uuid.UUID, uow: UnitOfWork) -> str | None:
        """The person's role in the project now, if their account is active and they are a member."""
        user = await repository.user_by_id(uow, user_id)
        if user is None or user.status != "active":
            return None
        return await repository.member_role(uow, project_id, user_id)

    # --- access tokens and revocation ----------------------------------------------------

    async def load_grant(self, uow: UnitOfWork, access_token: str) -> Grant:
        """What a live access token stands for now; NotFound when forged, expired, revoked or orphaned."""
        self._require_gateway()
        claims = self._signer.verify(access_token) if access_token else None
        if claims is None:
            raise NotFound("this access token is not valid", slug="mcp-token-invalid")
        family_id, user_id, project_id = (uuid.UUID(claims[k]) for k in ("fam", "sub", "pid"))
        if not await store.family_is_live(uow, family_id):
            raise NotFound("this grant was revoked", slug="mcp-grant-revoked")
        role = await self._live_role(user_id, project_id, uow)
        if role is None:
            raise NotFound("the person behind this grant is no longer in the project", slug="mcp-grant-orphaned")
        return Grant(
            client_id=str(claims.get("cid", "")),
            user_id=user_id,
            project_id=project_id,
            role=role,
            scopes=[s for s in claims.get("scp", []) if s in SCOPES],
            resource=str(claims.get("rsc", "")),
            expires_at=int(claims["exp"]),
            family_id=family_id,
        )

    async def revoke(self, uow: UnitOfWork, client_id: str, token: str) -> None:
        """RFC 7009: revoke the family of a refresh or access token of ``client_id``; others are ignored."""
        self._require_gateway()
        if not token:
            return
        family_id: uuid.UUID | None = None
        user_id: uuid.UUID | None = None
        stored = await store.refresh_token_by_hash(uow, hash_token(token))
        if stored is not None and stored.client_id == client_id:
            family_id, user_id = stored.family_id, stored.user_id
        elif stored is None and (claims := self._signer.verify(token)) is not None and claims.get("cid") == client_id:
            family_id, user_id = uuid.UUID(claims["fam"]), uuid.UUID(claims["sub"])
        if family_id is None:
            return
        if await store.revoke_family(uow, family_id):
            self._log.add(uow, "mcp_oauth_revoked", user_id, client_id=client_id, family=family_id)

    @staticmethod
    def person() -> uuid.UUID:
        """The signed-in person managing their own grants (not a key or an MCP client acting for them)."""
        principal = caller()
        if principal.kind != "user" or principal.user_id is None:
            raise PermissionDenied("a signed-in person manages their connected clients", slug="person-required")
        return principal.user_id

    async def grants_of(self, uow: UnitOfWork, user_id: uuid.UUID) -> list[GrantSummary]:
        """The person's live grants (one per refresh-token family), the latest refreshed first."""
        latest: dict[uuid.UUID, McpOAuthRefreshToken] = {}
        for token in await store.live_tokens_of(uow, user_id):
            latest[token.family_id] = token  # oldest first, so the last one stays
        if not latest:
            return []
        began = await store.connected_at(uow, list(latest))
        names = await store.clients_named(uow, sorted({t.client_id for t in latest.values()}))
        projects = await repository.project_names(uow, sorted({t.project_id for t in latest.values()}))
        grants = [
            GrantSummary(
                grant_id=family_id,
                client_id=token.client_id,
                client_name=names.get(token.client_id, ""),
                project_id=token.project_id,
                project_name=projects.get(token.project_id, ""),
                scopes=list(token.scopes),
                connected_at=began.get(family_id, token.created_at),
                refreshed_at=token.created_at,
                expires_at=token.expires_at,
            )
            for family_id, token in latest.items()
        ]
        return sorted(grants, key=lambda g: (g.refreshed_at, g.grant_id), reverse=True)

    async def revoke_grant(self, uow: UnitOfWork, user_id: uuid.UUID, grant_id: str) -> None:
        """The person disconnects a client: its family is revoked (404 unless it is theirs and live)."""
        try:
            family_id = uuid.UUID(grant_id)
        except ValueError:
            raise NotFound("no such connected client", slug="mcp-grant-not-found") from None
        revoked = await store.revoke_family_of(uow, user_id, family_id)
        if revoked is None:
            raise NotFound("no such connected client", slug="mcp-grant-not-found")
        self._log.add(uow, "mcp_oauth_revoked", user_id, client_id=revoked.client_id, family=family_id, by="owner")

    async def record_rejection(
        self, *, endpoint: str, error: str, reason: str, client_id: str, credential: str, redirect_uri: str
    ) -> None:
        """Log a refusal the gateway's OAuth endpoints answered; the person is found by the credential."""
        self._require_gateway()
        user_id = None
        if credential:
            async with self._uow() as uow:
                digest = hash_token(credential)
                code = await store.code_by_hash(uow, digest)
                token = None if code else await store.refresh_token_by_hash(uow, digest)
                owner = code or token
                user_id = owner.user_id if owner is not None else None
        details: dict[str, Any] = {"endpoint": endpoint[:32], "error": error[:64], "client_id": client_id[:128]}
        if redirect_uri:
            details["redirect_uri"] = redirect_uri[:MAX_URI]
        await self._reject(reason[:64] or error[:64] or "unknown", user_id, **details)


@dataclass(frozen=True)
class GrantSummary:
    """A connected client as its person sees it."""

    grant_id: uuid.UUID
    client_id: str
    client_name: str
    project_id: uuid.UUID
    project_name: str
    scopes: list[str]
    connected_at: datetime
    refreshed_at: datetime
    expires_at: datetime


def _narrow(scopes: list[str], role: str) -> list[str]:
    """The scopes the role can still grant (at least read, which every role has)."""
    allowed = grantable_scopes(role)
    return sorted({s for s in scopes if s in allowed} | set(DEFAULT_SCOPES))
