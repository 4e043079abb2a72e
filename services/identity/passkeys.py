"""Passkeys (WebAuthn): a signed-in person registers one, anyone signs in with one, people remove theirs.

Each ceremony starts with options carrying a fresh challenge kept in ``webauthn_challenges`` and
ends with the browser's answer, which the ``webauthn`` library checks against that challenge, this
relying party's id and its allowed origins. The challenge is spent in a transaction of its own
before anything else is looked at, so it allows exactly one attempt whatever the outcome.

Sign-in also checks the signature counter: when the stored or the presented count is non-zero,
the presented one must be greater, or two copies of the key are in use (a cloned authenticator).
Such an attempt is refused with ``passkey-sign-count-regressed``, logged, and leaves the credential
as it was. The check runs after the signature is verified, so only the key's holder can raise it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from services.chassis import context
from services.chassis.authz import current_user_id
from services.chassis.errors import DomainError, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.chassis.ids import uuid7
from services.chassis.keys import SecretKey
from services.chassis.uow import UnitOfWork, UnitOfWorkFactory
from services.identity import passkeys_repository as store
from services.identity import repository
from services.identity.accounts import clean_name, current_user, normalise_email
from services.identity.models import WebauthnChallenge, WebauthnCredential
from services.identity.rate_limits import Limit, RateLimiter
from services.identity.security_log import SecurityLog
from services.identity.sessions import Session, Sessions
from services.identity.settings import IdentitySettings

CHALLENGE_TTL = timedelta(minutes=5)
CHALLENGE_BYTES = 32
REGISTRATION = "registration"
AUTHENTICATION = "authentication"
DEFAULT_NAME = "Passkey"
MAX_CREDENTIAL_JSON = 64 * 1024
# webauthn_credentials.sign_count is a signed 32-bit column; authenticators count in 32 unsigned bits.
MAX_SIGN_COUNT = 2**31 - 1
# Asked for, not required: the server accepts an assertion without the UV flag.
USER_VERIFICATION = UserVerificationRequirement.PREFERRED
# Anonymous ceremonies write challenges and refusals; one budget per address covers options and answers.
PASSKEY_PER_IP = Limit("passkey:ip", 200, timedelta(minutes=15))
# What the library and its parsers raise for a malformed or unverifiable answer (cbor2 errors are ValueErrors).
_UNVERIFIABLE = (WebAuthnException, ValueError, TypeError, KeyError, IndexError)


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser is talking to: the RP id credentials are scoped to, and the origins allowed."""

    id: str
    name: str
    origins: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> RelyingParty:
        """The configured party, or one derived from ``public_base_url`` (see IdentitySettings)."""
        base = urlsplit(settings.public_base_url)
        host = base.hostname or "localhost"
        rp_id = settings.webauthn_rp_id or ("localhost" if _is_ip_address(host) else host)
        origins = settings.webauthn_origins or _default_origins(base.scheme, host, base.port, rp_id)
        return cls(id=rp_id, name=settings.webauthn_rp_name, origins=tuple(o.rstrip("/") for o in origins))


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _default_origins(scheme: str, host: str, port: int | None, rp_id: str) -> list[str]:
    suffix = f":{port}" if port else ""
    bracketed = f"[{host}]" if ":" in host else host
    origins = [f"{scheme}://{bracketed}{suffix}"]
    if rp_id == "localhost" and host != "localhost":
        origins.append(f"{scheme}://localhost{suffix}")
    return origins


def signed_in_person() -> uuid.UUID:
    """The signed-in person behind the call; an API key (or any other credential) may not manage passkeys."""
    user_id = current_user_id()
    principal = context.principal.get()
    if principal is None or principal.kind != "user":
        raise PermissionDenied("passkeys are managed by a signed-in person", slug="person-required")
    return user_id


def _descriptor(credential: WebauthnCredential) -> PublicKeyCredentialDescriptor:
    known = {t.value for t in AuthenticatorTransport}
    return PublicKeyCredentialDescriptor(
        id=credential.credential_id,
        transports=[AuthenticatorTransport(t) for t in credential.transports if t in known] or None,
    )


def _regressed(stored: int, presented: int) -> bool:
    """Whether a presented signature count fails to move past the stored one (0 and 0: no counter)."""
    return (stored > 0 or presented > 0) and presented <= stored


def _refusal(ceremony: str) -> type[DomainError]:
    """Registration is a signed-in person's request that failed (422); a failed sign-in is 401."""
    return InvalidArgument if ceremony == REGISTRATION else Unauthenticated


class Passkeys:
    """Runs the WebAuthn ceremonies of one relying party and keeps people's passkeys."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        sessions: Sessions,
        security_log: SecurityLog,
        limiter: RateLimiter,
        secret: SecretKey,
        relying_party: RelyingParty,
        challenge_ttl: timedelta = CHALLENGE_TTL,
    ) -> None:
        self._uow = uow_factory
        self._sessions = sessions
        self._log = security_log
        self._limiter = limiter
        self._decoy_key = secret.derive("passkey-decoys")
        self.relying_party = relying_party
        self._ttl = challenge_ttl

    # --- registration (signed in) ----------------------------------------------------------

    async def registration_options(self, uow: UnitOfWork, user_id: uuid.UUID) -> str:
        """Options for navigator.credentials.create(), excluding the passkeys the person already has."""
        user = await current_user(uow, user_id)
        existing = await store.credentials_of(uow, user.id)
        options = generate_registration_options(
            rp_id=self.relying_party.id,
            rp_name=self.relying_party.name,
            user_id=user.id.bytes,  # the user handle: opaque, never the email
            user_name=user.email,
            user_display_name=user.name,
            challenge=await self._new_challenge(uow, REGISTRATION, user.id),
            timeout=self._timeout_ms,
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.PREFERRED, user_verification=USER_VERIFICATION
            ),
            exclude_credentials=[_descriptor(c) for c in existing],
        )
        return options_to_json(options)

    async def verify_registration(
        self, uow: UnitOfWork, user_id: uuid.UUID, *, credential_json: str, name: str
    ) -> WebauthnCredential:
        """Check the new credential against its challenge and keep it."""
        friendly_name = clean_name(name) if name.strip() else DEFAULT_NAME
        credential = _parse(parse_registration_credential_json, credential_json)
        spent = await self._spend(credential.response.client_data_json, REGISTRATION, user_id)
        user = await current_user(uow, user_id)
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=spent.challenge,
                expected_rp_id=self.relying_party.id,
                expected_origin=list(self.relying_party.origins),
                require_user_verification=False,
            )
        except _UNVERIFIABLE as exc:
            await self._refuse(REGISTRATION, user.id, "passkey-registration-failed", str(exc))
        if verified.sign_count > MAX_SIGN_COUNT:
            await self._refuse(REGISTRATION, user.id, "passkey-registration-failed", "sign count out of range")
        stored = await store.add_credential(
            uow,
            WebauthnCredential(
                id=uuid7(),
                user_id=user.id,
                credential_id=verified.credential_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                friendly_name=friendly_name,
                transports=sorted({t.value for t in credential.response.transports or ()}),
                aaguid=verified.aaguid,
                backed_up=verified.credential_backed_up,
            ),
        )
        self._log.add(
            uow, "passkey_registered", user.id, passkey_id=stored.id, name=stored.friendly_name, aaguid=stored.aaguid
        )
        return stored

    # --- sign-in (anonymous) ---------------------------------------------------------------

    async def authentication_options(self, uow: UnitOfWork, *, email: str) -> str:
        """Options for navigator.credentials.get(): the account's passkeys, or any discoverable one.

        An address without an account or without passkeys gets a stable decoy credential, so the
        answer does not tell whether the address is known.
        """
        await self._limiter.hit(PASSKEY_PER_IP, context.client_ip.get() or "")
        owner: uuid.UUID | None = None
        allowed: list[PublicKeyCredentialDescriptor] = []
        if email.strip():
            address = normalise_email(email)
            user = await repository.user_by_email(uow, address)
            if user is not None and user.status == "active":
                owner = user.id
                allowed = [_descriptor(c) for c in await store.credentials_of(uow, user.id)]
            allowed = allowed or [self._decoy(address)]
        options = generate_authentication_options(
            rp_id=self.relying_party.id,
            challenge=await self._new_challenge(uow, AUTHENTICATION, owner),
            timeout=self._timeout_ms,
            allow_credentials=allowed,
            user_verification=USER_VERIFICATION,
        )
        return options_to_json(options)

    async def verify_authentication(self, uow: UnitOfWork, *, credential_json: str) -> Session:
        """Check an assertion against its challenge and the stored key, then sign its owner in."""
        await self._limiter.hit(PASSKEY_PER_IP, context.client_ip.get() or "")
        credential = _parse(parse_authentication_credential_json, credential_json)
        spent = await self._spend(credential.response.client_data_json, AUTHENTICATION, None)
        stored = await store.credential_for_sign_in(uow, credential.raw_id)
        if stored is None:
            await self._refuse(AUTHENTICATION, spent.user_id, "unknown-passkey", "unknown credential")
        if spent.user_id is not None and spent.user_id != stored.user_id:
            await self._refuse(AUTHENTICATION, stored.user_id, "passkey-rejected", "challenge for another account")
        handle = credential.response.user_handle
        if handle and handle != stored.user_id.bytes:
            await self._refuse(AUTHENTICATION, stored.user_id, "passkey-rejected", "user handle does not match")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=spent.challenge,
                expected_rp_id=self.relying_party.id,
                expected_origin=list(self.relying_party.origins),
                credential_public_key=stored.public_key,
                # 0 turns the library's own counter check off: ours follows, after the signature.
                credential_current_sign_count=0,
                require_user_verification=False,
            )
        except _UNVERIFIABLE as exc:
            await self._refuse(AUTHENTICATION, stored.user_id, "passkey-rejected", str(exc), passkey_id=stored.id)
        presented = verified.new_sign_count
        if _regressed(stored.sign_count, presented):
            await self._refuse(
                AUTHENTICATION,
                stored.user_id,
                "passkey-sign-count-regressed",
                "sign count regressed",
                passkey_id=stored.id,
                stored_sign_count=stored.sign_count,
                presented_sign_count=presented,
            )
        if presented > MAX_SIGN_COUNT:
            await self._refuse(
                AUTHENTICATION, stored.user_id, "passkey-rejected", "sign count out of range", passkey_id=stored.id
            )
        await store.record_use(uow, stored.id, sign_count=presented, backed_up=verified.credential_backed_up)
        user = await repository.user_by_id(uow, stored.user_id)
        assert user is not None  # credentials go with their user (ON DELETE CASCADE)
        return await self._sessions.start(uow, user, method="passkey")

    # --- the person's passkeys -------------------------------------------------------------

    async def of_user(self, uow: UnitOfWork, user_id: uuid.UUID) -> list[WebauthnCredential]:
        return await store.credentials_of(uow, user_id)

    async def remove(self, uow: UnitOfWork, user_id: uuid.UUID, passkey_id: str) -> None:
        """Delete one of the person's passkeys; anyone else's is simply not found."""
        try:
            wanted = uuid.UUID(passkey_id)
        except ValueError:
            wanted = None
        removed = await store.delete_credential(uow, wanted, user_id) if wanted else None
        if removed is None:
            raise NotFound("no such passkey", slug="passkey-not-found")
        self._log.add(uow, "passkey_removed", user_id, passkey_id=removed.id, name=removed.friendly_name)

    # --- challenges and refusals -----------------------------------------------------------

    @property
    def _timeout_ms(self) -> int:
        return int(self._ttl.total_seconds() * 1000)

    async def _new_challenge(self, uow: UnitOfWork, purpose: str, user_id: uuid.UUID | None) -> bytes:
        value = secrets.token_bytes(CHALLENGE_BYTES)
        await store.add_challenge(
            uow, challenge=value, purpose=purpose, user_id=user_id, expires_at=datetime.now(UTC) + self._ttl
        )
        return value

    async def _spend(self, client_data_json: bytes, purpose: str, owner: uuid.UUID | None) -> WebauthnChallenge:
        """Spend the challenge the answer carries, committed at once; a refusal says why it cannot be."""
        try:
            value = parse_client_data_json(client_data_json).challenge
        except _UNVERIFIABLE as exc:
            raise InvalidArgument("clientDataJSON is not valid", slug="invalid-passkey-credential") from exc
        async with self._uow() as uow:
            spent = await store.spend_challenge(uow, value, purpose, owner=owner)
            found = None if spent else await store.challenge_by_value(uow, value, purpose)
            await uow.commit()
        if spent is not None:
            return spent
        if found is None or (owner is not None and found.user_id != owner):
            await self._refuse(purpose, owner, "passkey-challenge-unknown", "challenge unknown")
        if found.consumed_at is not None:
            await self._refuse(purpose, found.user_id, "passkey-challenge-used", "challenge replayed")
        await self._refuse(purpose, found.user_id, "passkey-challenge-expired", "challenge expired")

    async def _refuse(
        self, ceremony: str, user_id: uuid.UUID | None, slug: str, reason: str, **details: Any
    ) -> NoReturn:
        """Log the refusal in its own transaction (the caller's is about to roll back) and raise it."""
        await self._log.record_now("passkey_rejected", user_id, ceremony=ceremony, reason=reason[:300], **details)
        raise _refusal(ceremony)(_DETAILS[slug], slug=slug)

    def _decoy(self, address: str) -> PublicKeyCredentialDescriptor:
        digest = hmac.new(self._decoy_key, address.encode(), hashlib.sha256).digest()
        return PublicKeyCredentialDescriptor(id=digest, transports=[AuthenticatorTransport.INTERNAL])


_DETAILS = {
    "passkey-challenge-unknown": "this passkey challenge was not issued here; start again",
    "passkey-challenge-used": "this passkey challenge was already used; start again",
    "passkey-challenge-expired": "this passkey challenge has expired; start again",
    "passkey-registration-failed": "the new passkey could not be verified",
    "unknown-passkey": "this passkey is not registered here",
    "passkey-rejected": "this passkey could not be verified",
    "passkey-sign-count-regressed": (
        "this passkey's signature counter went backwards, which suggests a copied authenticator; "
        "sign in another way and remove this passkey if you do not recognise it"
    ),
}


def _parse(parser: Any, credential_json: str) -> Any:
    """The library's view of a browser credential; InvalidArgument when it is not one."""
    if len(credential_json) > MAX_CREDENTIAL_JSON:
        raise InvalidArgument("the credential is too large", slug="invalid-passkey-credential")
    try:
        return parser(credential_json)
    except _UNVERIFIABLE as exc:
        raise InvalidArgument("the credential is not valid WebAuthn JSON", slug="invalid-passkey-credential") from exc
