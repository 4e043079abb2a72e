"""Sign-in with OpenID Connect providers (Google, a company's identity provider) and SSO discovery.

The authorization code flow with PKCE (S256) and a nonce. Nothing is stored between Start and
Callback: the ``state`` parameter is sealed with AES-GCM (purpose ``oidc-state``, bound to the
provider) and carries the nonce, the PKCE verifier, the next path, the redirect URI and a ten-minute
expiry. Sealing rather than signing keeps the verifier secret from the browser and the provider. A
state can be presented again within its ten minutes, but it is worth nothing without an
authorization code, and providers accept each code once (RFC 6749 §4.1.2), so a replayed callback
fails at the token endpoint.

The ID token is verified with the issuer's published keys (RS256 or ES256): signature, ``iss``,
``aud`` (and ``azp``), ``exp``, ``nonce``. The account is the one linked to (issuer, subject) in
``auth_oidc_identities``; else the one with the email the provider verified, which is linked now;
else a new passwordless account. Every refusal is logged as ``oidc_rejected`` with its reason, in a
transaction of its own, and changes nothing else.

Provider metadata and keys are fetched over HTTP and cached; an ID token signed with an unknown key
id refetches the keys, at most once every ``JWKS_REFETCH_COOLDOWN_SECONDS`` per provider.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx2
import jwt
import orjson

from services.chassis.errors import (
    DomainError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from services.chassis.secretbox import SecretBox
from services.chassis.uow import UnitOfWork
from services.identity import oidc_repository, repository
from services.identity.accounts import (
    MAX_NAME_LENGTH,
    MAX_NEXT_PATH,
    clean_name,
    normalise_email,
    safe_next_path,
    signed_up_event,
)
from services.identity.models import User
from services.identity.security_log import SecurityLog
from services.identity.sessions import Session, Sessions
from services.identity.settings import OidcProviderSettings

log = logging.getLogger(__name__)

STATE_TTL_SECONDS = 600
MAX_STATE_LENGTH = 4096
# Accepted ID token algorithms and the key type each needs.
ALGORITHMS = {"RS256": "RSA", "ES256": "EC"}
CLOCK_SKEW_SECONDS = 60
METADATA_TTL_SECONDS = 3600.0
JWKS_TTL_SECONDS = 3600.0
JWKS_REFETCH_COOLDOWN_SECONDS = 10.0
HTTP_TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
SSO_DOMAINS_KEY = "sso.domains"  # system_config: {"acme.com": "okta", …}
_PROVIDER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


# --- providers: configuration, metadata, keys, token endpoint ---------------------------------


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    token_auth_method: str | None
    redirect_uris: tuple[str, ...]


class CodeRejected(Exception):
    """The token endpoint refused the authorization code (``error`` is its OAuth error code)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class _Cache:
    metadata: dict[str, Any] | None = None
    metadata_at: float = 0.0
    metadata_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    keys: list[dict[str, Any]] = field(default_factory=list)
    keys_at: float | None = None  # last successful fetch
    keys_tried_at: float = float("-inf")  # last attempt, for the refetch cooldown
    keys_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _check_url(url: Any, *, allow_http: bool) -> str:
    """``url`` if it is an absolute https URL (http too when allowed); ValueError otherwise."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or not parts.netloc or parts.scheme not in (("https", "http") if allow_http else ("https",)):
        raise ValueError(f"{url!r} is not an absolute {'http(s)' if allow_http else 'https'} URL")
    return url


def _provider(name: str, configured: OidcProviderSettings, allow_http: bool) -> Provider:
    if not _PROVIDER_NAME.fullmatch(name):
        raise ValueError(f"OIDC provider name {name!r} must be lower-case letters, digits, '-' or '_'")
    if "openid" not in configured.scopes:
        raise ValueError(f"OIDC provider {name!r}: scopes must include 'openid'")
    return Provider(
        name=name,
        issuer=_check_url(configured.issuer, allow_http=allow_http),
        client_id=configured.client_id,
        client_secret=configured.client_secret.get_secret_value(),
        scopes=tuple(configured.scopes),
        token_auth_method=configured.token_auth_method,
        redirect_uris=tuple(configured.redirect_uris),
    )


def _unavailable(provider: Provider, what: str) -> Unavailable:
    log.warning("OIDC provider %s: %s", provider.name, what)
    return Unavailable(
        f"the sign-in provider {provider.name} cannot be reached; try again later", slug="oidc-provider-unavailable"
    )


class OidcProviders:
    """The configured providers, with their metadata and signing keys fetched over HTTP and cached."""

    def __init__(
        self,
        configured: Mapping[str, OidcProviderSettings],
        *,
        http: httpx2.AsyncClient | None = None,
        allow_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._providers = {name: _provider(name, value, allow_http) for name, value in configured.items()}
        self._http = http or httpx2.AsyncClient(timeout=HTTP_TIMEOUT)
        self._allow_http = allow_http
        self._clock = clock
        self._caches = {name: _Cache() for name in self._providers}

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    async def close_when(self, stop: asyncio.Event) -> None:
        """Close the HTTP client once the service stops (a background task of the service)."""
        await stop.wait()
        await self._http.aclose()

    async def _get_json(self, provider: Provider, url: str) -> dict[str, Any]:
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
        except httpx2.HTTPError as exc:
            raise _unavailable(provider, f"GET {url} failed: {type(exc).__name__}") from exc
        body = _json_object(response)
        if response.status_code != 200 or body is None:
            raise _unavailable(provider, f"GET {url} answered {response.status_code}")
        return body

    async def metadata(self, provider: Provider) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour; a stale copy outlives an outage)."""
        cache = self._caches[provider.name]
        if cache.metadata is not None and self._clock() - cache.metadata_at < METADATA_TTL_SECONDS:
            return cache.metadata
        async with cache.metadata_lock:
            if cache.metadata is None or self._clock() - cache.metadata_at >= METADATA_TTL_SECONDS:
                try:
                    cache.metadata = await self._fetch_metadata(provider)
                    cache.metadata_at = self._clock()
                except Unavailable:
                    if cache.metadata is None:
                        raise
            return cache.metadata

    async def _fetch_metadata(self, provider: Provider) -> dict[str, Any]:
        url = f"{provider.issuer.rstrip('/')}/.well-known/openid-configuration"
        document = await self._get_json(provider, url)
        if document.get("issuer") != provider.issuer:  # OpenID Connect Discovery §4.3
            raise _unavailable(provider, f"metadata names issuer {document.get('issuer')!r}")
        try:
            for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                _check_url(document.get(endpoint), allow_http=self._allow_http)
        except ValueError as exc:
            raise _unavailable(provider, f"metadata: {exc}") from exc
        return document

    async def signing_key(self, provider: Provider, kid: str | None, alg: str) -> jwt.PyJWK | None:
        """The provider's key for ``kid`` and ``alg``; an unknown ``kid`` refetches the keys (rate-bounded)."""
        jwk = _pick_key(await self._keys(provider, unknown_kid=False), kid, alg)
        if jwk is None and kid:
            jwk = _pick_key(await self._keys(provider, unknown_kid=True), kid, alg)
        if jwk is None:
            return None
        try:
            return jwt.PyJWK(jwk, algorithm=alg)
        except jwt.PyJWTError:
            return None

    async def _keys(self, provider: Provider, *, unknown_kid: bool) -> list[dict[str, Any]]:
        cache = self._caches[provider.name]
        fresh = cache.keys_at is not None and self._clock() - cache.keys_at < JWKS_TTL_SECONDS
        if fresh and not unknown_kid:
            return cache.keys
        async with cache.keys_lock:
            now = self._clock()
            fresh = cache.keys_at is not None and now - cache.keys_at < JWKS_TTL_SECONDS
            cooled_down = now - cache.keys_tried_at >= JWKS_REFETCH_COOLDOWN_SECONDS
            if cache.keys_at is None or (not fresh and cooled_down) or (unknown_kid and cooled_down):
                cache.keys_tried_at = now
                try:
                    metadata = await self.metadata(provider)
                    document = await self._get_json(provider, metadata["jwks_uri"])
                    keys = document.get("keys")
                    cache.keys = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
                    cache.keys_at = self._clock()
                except Unavailable:
                    if cache.keys_at is None:
                        raise
            return cache.keys

    async def exchange_code(self, provider: Provider, *, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer for ``code``; CodeRejected when it refuses the code."""
        metadata = await self.metadata(provider)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"Accept": "application/json"}
        method = _auth_method(provider, metadata)
        if method == "client_secret_basic":
            # RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
            credentials = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        else:
            form["client_id"] = provider.client_id
            if method == "client_secret_post":
                form["client_secret"] = provider.client_secret
        try:
            response = await self._http.post(metadata["token_endpoint"], data=form, headers=headers)
        except httpx2.HTTPError as exc:
            raise _unavailable(provider, f"token endpoint failed: {type(exc).__name__}") from exc
        body = _json_object(response)
        if response.status_code >= 500 or (response.status_code == 200 and body is None):
            raise _unavailable(provider, f"token endpoint answered {response.status_code}")
        if response.status_code != 200:
            error = (body or {}).get("error")
            error = error if isinstance(error, str) and _ERROR_CODE.fullmatch(error) else "unknown"
            if error == "invalid_client":  # our credentials, not the person's code: the operator must know
                log.warning("OIDC provider %s refused the client credentials", provider.name)
            raise CodeRejected(error)
        assert body is not None
        return body


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _auth_method(provider: Provider, metadata: dict[str, Any]) -> str:
    """How to authenticate at the token endpoint: configured, else basic unless only post is offered."""
    if not provider.client_secret:
        return "none"  # a public client; PKCE alone protects the code
    if provider.token_auth_method:
        return provider.token_auth_method
    supported = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" not in supported and "client_secret_post" in supported:
        return "client_secret_post"
    return "client_secret_basic"


def _pick_key(keys: list[dict[str, Any]], kid: str | None, alg: str) -> dict[str, Any] | None:
    """The signing key for ``kid``; without a key id, only an unambiguous key will do."""
    usable = [
        k for k in keys if k.get("kty") == ALGORITHMS[alg] and k.get("use", "sig") == "sig" and k.get("alg", alg) == alg
    ]
    if kid:
        usable = [k for k in usable if k.get("kid") == kid]
    elif len(usable) != 1:
        return None
    return usable[0] if usable else None


# --- the sealed state -------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInState:
    """What the callback needs to know about the sign-in it completes; travels sealed in ``state``."""

    nonce: str
    verifier: str  # PKCE code verifier
    next_path: str
    redirect_uri: str
    expires_at: int  # Unix time

    def seal(self, box: SecretBox, provider: str) -> str:
        key_id, sealed = box.seal(orjson.dumps(asdict(self)), _state_binding(provider))
        return f"{key_id}.{base64.urlsafe_b64encode(sealed).decode().rstrip('=')}"

    @classmethod
    def open(cls, box: SecretBox, provider: str, state: str) -> SignInState:
        """The state sealed for ``provider``; ValueError when it was altered or sealed for another."""
        if not state or len(state) > MAX_STATE_LENGTH:
            raise ValueError("no state, or too long")
        key_id, _, encoded = state.partition(".")
        sealed = base64.b64decode(encoded + "=" * (-len(encoded) % 4), altchars=b"-_", validate=True)
        try:
            return cls(**orjson.loads(box.open(key_id, sealed, _state_binding(provider))))
        except TypeError as exc:
            raise ValueError("state has another shape") from exc


def _state_binding(provider: str) -> bytes:
    return f"oidc-state:{provider}".encode()


# --- sign-in ----------------------------------------------------------------------------------


class Refusal(Exception):
    """Something presented is not acceptable: logged as ``oidc_rejected`` (with ``reason``), then ``problem``."""

    def __init__(self, reason: str, problem: DomainError, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem = problem
        self.details = details


@dataclass(frozen=True)
class AuthorizationRequest:
    url: str
    state: str
    expires_in: int


def _invalid_token(reason: str, detail: str) -> Refusal:
    return Refusal(reason, Unauthenticated(f"the provider's ID token is not valid: {detail}", slug="invalid-id-token"))


def _unverified_email(reason: str) -> Refusal:
    return Refusal(
        reason,
        PermissionDenied("the provider did not vouch for an email address of yours", slug="oidc-email-unverified"),
    )


class Oidc:
    """Starts and completes OIDC sign-ins; finds the SSO provider of an email domain."""

    def __init__(
        self,
        *,
        providers: OidcProviders,
        sessions: Sessions,
        security_log: SecurityLog,
        state_box: SecretBox,
        public_base_url: str,
    ) -> None:
        self.providers = providers
        self._sessions = sessions
        self._log = security_log
        self._box = state_box
        self._public_base_url = public_base_url.rstrip("/")

    async def _recorded(self, provider: str, refusal: Refusal) -> DomainError:
        """Log the refusal in a transaction of its own (the caller's is about to roll back)."""
        await self._log.record_now(
            "oidc_rejected", None, provider=provider[:64], reason=refusal.reason, **refusal.details
        )
        return refusal.problem

    def _provider(self, name: str) -> Provider:
        provider = self.providers.get(name)
        if provider is None:
            raise Refusal(
                "unknown_provider",
                NotFound("there is no sign-in provider by that name", slug="oidc-provider-not-found"),
            )
        return provider

    def default_redirect_uri(self, provider: str) -> str:
        return f"{self._public_base_url}/v1/auth/oidc/{provider}/callback"

    def _redirect_uri(self, provider: Provider, requested: str) -> str:
        """The default callback, one configured for the provider, or another page of this site."""
        default = self.default_redirect_uri(provider.name)
        if not requested or requested == default or requested in provider.redirect_uris:
            return requested or default
        ours, theirs = urlsplit(self._public_base_url), urlsplit(requested)
        if (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc) and not theirs.fragment:
            return requested
        raise Refusal(
            "redirect_uri",
            InvalidArgument("redirect_uri must be a page of this site", slug="invalid-redirect-uri"),
            redirect_uri=requested[:MAX_NEXT_PATH],
        )

    async def start(
        self, provider_name: str, *, next_path: str, redirect_uri: str = "", email: str | None = None
    ) -> AuthorizationRequest:
        """The provider's authorization URL for a new sign-in, carrying its sealed state."""
        try:
            provider = self._provider(provider_name)
            try:
                next_path = safe_next_path(next_path)
            except InvalidArgument as exc:
                raise Refusal("open_redirect", exc, next_path=next_path[:MAX_NEXT_PATH]) from None
            redirect_uri = self._redirect_uri(provider, redirect_uri)
        except Refusal as refusal:
            raise await self._recorded(provider_name, refusal) from None
        login_hint = normalise_email(email) if email else None
        metadata = await self.providers.metadata(provider)
        state = SignInState(
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(48),
            next_path=next_path,
            redirect_uri=redirect_uri,
            expires_at=int(time.time()) + STATE_TTL_SECONDS,
        )
        sealed = state.seal(self._box, provider.name)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(state.verifier.encode()).digest()).decode().rstrip("=")
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(provider.scopes),
            "state": sealed,
            "nonce": state.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        endpoint = metadata["authorization_endpoint"]
        url = f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"
        return AuthorizationRequest(url=url, state=sealed, expires_in=STATE_TTL_SECONDS)

    async def callback(self, uow: UnitOfWork, provider_name: str, *, code: str, state: str, error: str = "") -> Session:
        """Complete a sign-in: exchange the code, verify the ID token, find or link or create the account."""
        try:
            provider = self._provider(provider_name)
            if error:
                error = error if _ERROR_CODE.fullmatch(error) else "unknown"
                raise Refusal(
                    "provider_error",
                    Unauthenticated(f"the sign-in provider refused: {error}", slug="oidc-provider-error"),
                    error=error,
                )
            signed = self._open_state(provider, state)
            if not code:
                raise Refusal("code_missing", InvalidArgument("code is required", slug="invalid-oidc-code"))
            try:
                tokens = await self.providers.exchange_code(
                    provider, code=code, redirect_uri=signed.redirect_uri, verifier=signed.verifier
                )
            except CodeRejected as exc:
                raise Refusal(
                    "code_rejected",
                    Unauthenticated(
                        "the sign-in provider did not accept the code; start again", slug="oidc-code-rejected"
                    ),
                    error=exc.error,
                ) from None
            claims = await self._verify_id_token(provider, tokens.get("id_token"), signed.nonce)
            user = await self._account(uow, provider, claims)
        except Refusal as refusal:
            raise await self._recorded(provider_name, refusal) from None
        return await self._sessions.start(uow, user, method=f"oidc:{provider.name}", next_path=signed.next_path)

    def _open_state(self, provider: Provider, state: str) -> SignInState:
        try:
            opened = SignInState.open(self._box, provider.name, state)
        except ValueError:
            raise Refusal(
                "state_invalid",
                Unauthenticated("the sign-in state is not valid; start again", slug="invalid-oidc-state"),
            ) from None
        if opened.expires_at < time.time():
            raise Refusal(
                "state_expired", Unauthenticated("the sign-in took too long; start again", slug="oidc-state-expired")
            )
        return opened  # its next path was checked before it was sealed

    async def _verify_id_token(self, provider: Provider, id_token: Any, nonce: str) -> dict[str, Any]:
        if not isinstance(id_token, str):
            raise _invalid_token("id_token_missing", "the provider sent none")
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise _invalid_token("id_token_malformed", "it is malformed") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise _invalid_token("id_token_algorithm", f"algorithm {str(alg)[:16]!r} is not accepted")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        key = await self.providers.signing_key(provider, kid, alg)
        if key is None:
            raise _invalid_token("id_token_unknown_key", "it is signed with a key the provider does not publish")
        try:
            claims = jwt.decode(
                id_token,
                key,
                algorithms=[alg],
                audience=provider.client_id,
                issuer=provider.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError:
            raise _invalid_token("id_token_signature", "the signature does not verify") from None
        except jwt.ExpiredSignatureError:
            raise _invalid_token("id_token_expired", "it has expired") from None
        except jwt.InvalidAudienceError:
            raise _invalid_token("id_token_audience", "it was issued to another client") from None
        except jwt.InvalidIssuerError:
            raise _invalid_token("id_token_issuer", "another issuer made it") from None
        except jwt.PyJWTError as exc:
            raise _invalid_token("id_token_invalid", str(exc)) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if ("azp" in claims or len(audiences) > 1) and claims.get("azp") != provider.client_id:
            raise _invalid_token("id_token_audience", "it was issued to another client")
        if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise Refusal(
                "nonce_mismatch",
                Unauthenticated("the ID token belongs to another sign-in; start again", slug="oidc-nonce-mismatch"),
            )
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise _invalid_token("id_token_invalid", "it names no subject")
        return claims

    async def _account(self, uow: UnitOfWork, provider: Provider, claims: dict[str, Any]) -> User:
        """The account (issuer, subject) is linked to; else link or create one by the verified email."""
        issuer, subject = claims["iss"], claims["sub"]
        raw_email = claims.get("email")
        verified = claims.get("email_verified") in (True, "true")
        identity = await oidc_repository.identity_by_subject(uow, issuer, subject)
        email = None
        if isinstance(raw_email, str) and verified:
            try:
                email = normalise_email(raw_email)
            except InvalidArgument:
                email = None
        if identity is not None:
            await oidc_repository.record_identity_login(uow, identity.id, email)
            user = await repository.user_by_id(uow, identity.user_id)
            assert user is not None  # the link cascades with its user
            return user
        # A new link rests on the email, so the provider must have verified it.
        if not raw_email:
            raise _unverified_email("email_missing")
        if email is None:
            raise _unverified_email("email_unverified" if not verified else "email_invalid")
        required = await self._sso_provider(uow, email)
        if required is not None and required != provider.name:
            domain = email.rpartition("@")[2]
            raise Refusal(
                "sso_provider_required",
                PermissionDenied(
                    f"people of {domain} sign in with {required}", slug="sso-provider-required", provider=required
                ),
                required=required,
            )
        user = await repository.user_by_email(uow, email)
        if user is None:
            user = await self._create_user(uow, provider, email, claims)
        else:
            await self._link_existing(uow, provider, user)
        await oidc_repository.add_identity(
            uow, user_id=user.id, provider=provider.name, issuer=issuer, subject=subject, email=email
        )
        if (provider.name == "google" or issuer in GOOGLE_ISSUERS) and user.google_id is None:
            # users.google_id names the Google account, for support and for exports; the link
            # itself (and every other provider's) lives in auth_oidc_identities.
            user = await repository.update_user(uow, user, google_id=subject)
        return user

    async def _create_user(self, uow: UnitOfWork, provider: Provider, email: str, claims: dict[str, Any]) -> User:
        user = await repository.add_user(uow, email=email, name=_display_name(claims, email), password_hash=None)
        user = await repository.update_user(uow, user, email_verified_at=datetime.now(UTC))
        uow.emit(signed_up_event(user))
        self._log.add(uow, "signed_up", user.id, method=f"oidc:{provider.name}")
        return user

    async def _link_existing(self, uow: UnitOfWork, provider: Provider, user: User) -> None:
        password_removed = False
        if user.email_verified_at is None:
            # Whoever created this account never proved the address was theirs; the provider just
            # proved it is this person's. A password or session set up by someone else must not
            # survive into the owner's account (pre-account-takeover).
            password_removed = user.password_hash is not None
            await repository.update_user(uow, user, email_verified_at=datetime.now(UTC), password_hash=None)
            await self._sessions.end_all(uow, user.id, reason="oidc_verified_email")
        self._log.add(uow, "oidc_linked", user.id, provider=provider.name, password_removed=password_removed)

    async def _sso_provider(self, uow: UnitOfWork, email: str) -> str | None:
        """The configured provider ``sso.domains`` names for the email's domain, if any."""
        domains = await repository.system_config(uow, SSO_DOMAINS_KEY)
        if not isinstance(domains, dict):
            return None
        wanted = email.rpartition("@")[2]
        name = next((v for k, v in domains.items() if isinstance(k, str) and k.lower() == wanted), None)
        if not isinstance(name, str) or self.providers.get(name) is None:
            if name is not None:
                log.warning("sso.domains names %r for %s, which is not a configured provider", name, wanted)
            return None
        return name

    async def discover(self, uow: UnitOfWork, email: str) -> str:
        """The SSO provider of the email's domain; NotFound when there is none."""
        name = await self._sso_provider(uow, normalise_email(email))
        if name is None:
            raise NotFound("no single sign-on provider serves this email domain", slug="sso-provider-not-found")
        return name


def _display_name(claims: dict[str, Any], email: str) -> str:
    """The name the provider gives, else the email's local part."""
    given = " ".join(claims[k] for k in ("given_name", "family_name") if isinstance(claims.get(k), str))
    for candidate in (claims.get("name"), given, email.partition("@")[0]):
        if isinstance(candidate, str):
            try:
                return clean_name(candidate[:MAX_NAME_LENGTH])
            except InvalidArgument:
                continue
    return email
