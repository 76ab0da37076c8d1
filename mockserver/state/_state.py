"""The mock's state: accounts, tokens, sessions, credits, uploads, turns and renders.

Whatever time changes is *derived* from ``clock.now()`` when read, never moved by a background
task: a turn holds its cost (``frozen``) from its start to its end and is charged at its end, its
draft lands at ``start + duration`` and its post-production at the times it planned, whether or
not anyone is still listening. So ``available + frozen == total`` holds at every instant by
construction, and virtual time needs no task to run.

Choices the contract leaves open (documented here and in the README):

- ``anonymous-token`` always mints a *new* token string; the client id maps to its account for
  7 days from the *latest* token it got (a sliding window). Older tokens stay valid until their
  own expiry. Only *new accounts* count towards the per-IP limit.
- Tokens are found by the SHA-256 of the token and then compared with ``hmac.compare_digest``.
- Ids come from a RNG seeded by ``config.seed`` (same seed, same ids), except tokens and claim
  tokens, which come from :mod:`secrets`.

One re-entrant lock guards everything: the app runs one event loop, but tests and journal
readers may use threads. The records it keeps (accounts, sessions, turns, credits) are plain
values in :mod:`._records`, re-exported here; render jobs are :mod:`._render`. Drafts are replaced
whole when a turn lands, never edited in place, so a cached state body can be kept with the draft
object it showed.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import random
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from nemokit import contract
from nemokit._clock import Clock

from .._config import MockConfig
from .._envelopes import ApiError, ok_body
from ..agent._plan import TurnScript
from ._records import Account, Credits, IssuedToken, Session, Turn, empty_draft
from ._render import RenderJob

__all__ = [
    "Account",
    "Credits",
    "IssuedToken",
    "MockState",
    "Session",
    "Turn",
    "empty_draft",
    "iso_time",
]

_WEEK = contract.TOKEN_TTL
#: How many recently authenticated tokens skip the digest (the cache starts over when full).
_RECENT_TOKENS = 4096


def iso_time(config: MockConfig, when: float) -> str:
    """Virtual time ``when`` as ISO 8601 UTC, virtual 0 being ``config.epoch``."""
    moment = datetime.fromtimestamp(config.epoch + when, tz=timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class _TokenRecord:
    token: str = field(repr=False)
    user_id: str
    expires_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A session's rendered state body and what it showed (see ``MockState.state_body``)."""

    draft: dict[str, Any]
    key: tuple[int, int, int]
    body: bytes


def _ended(session: Session, now: float) -> int:
    return sum(1 for turn in session.turns if turn.end <= now)


def _shown(value: str, limit: int = 64) -> str:
    """``value`` cut for an error message: a 300 KB id must not come back in the answer."""
    return value if len(value) <= limit else f"{value[:limit]}… ({len(value)} characters)"


class MockState:
    """Every account, session, turn, upload and render of one mock, behind one lock."""

    def __init__(self, clock: Clock, config: Callable[[], MockConfig]) -> None:
        self._clock = clock
        self._config = config
        self._lock = threading.RLock()
        self.reset()

    def __repr__(self) -> str:
        return f"MockState(accounts={len(self._accounts)}, sessions={len(self._sessions)})"

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def now(self) -> float:
        return self._clock.now()

    def reset(self) -> None:
        """Forget everything; ids start again from the seed."""
        with self._lock:
            self._rng = random.Random(self._config().seed)
            self._accounts: dict[str, Account] = {}
            self._by_client: dict[str, Account] = {}
            self._tokens: dict[str, _TokenRecord] = {}
            self._recent: dict[str, _TokenRecord] = {}
            self._ip_new_accounts: dict[str, list[float]] = {}
            self._sessions: dict[str, Session] = {}
            self._renders: dict[str, RenderJob] = {}
            self._claims: dict[str, tuple[str, float]] = {}
            self._bodies: dict[str, CachedBody] = {}
            self._credit_bodies: dict[str, tuple[Credits, bytes]] = {}

    # --- accounts and tokens ------------------------------------------------------------------

    def issue_token(self, client_id: str, ip: str) -> IssuedToken:
        """A new token for ``client_id``'s account (made if needed); 429 past the per-IP limit."""
        now = self.now()
        with self._lock:
            account = self._by_client.get(client_id)
            new = account is None or now >= account.bound_until
            if new:
                account = self._new_account(client_id, ip, now)
            assert account is not None
            account.bound_until = now + _WEEK
            token = contract.TOKEN_PREFIX + secrets.token_urlsafe(32)
            record = _TokenRecord(token, account.user_id, now + _WEEK)
            self._tokens[_digest(token)] = record
            return IssuedToken(token, account, record.expires_at, new)

    def _new_account(self, client_id: str, ip: str, now: float) -> Account:
        recent = [t for t in self._ip_new_accounts.get(ip, []) if t > now - _WEEK]
        limit = self._config().token_limit_per_ip
        if len(recent) >= limit:
            raise ApiError(
                contract.Code.RATE_LIMITED,
                f"too many new anonymous tokens from this address ({limit} per 7 days); "
                "reuse your X-Client-Id to get your account back",
            )
        self._ip_new_accounts[ip] = [*recent, now]
        user_id = contract.USER_ID_PREFIX + f"{self._rng.getrandbits(64):016x}"
        account = Account(user_id, client_id, ip, now, now + _WEEK, self._config().initial_credits)
        self._accounts[user_id] = account
        self._by_client[client_id] = account
        return account

    def authenticate(self, token: str | None) -> Account:
        """The account of a live ``token``; 1001 when it is missing, unknown or expired."""
        if not token:
            raise ApiError(contract.Code.TOKEN_INVALID, "missing bearer token")
        with self._lock:
            # A token that authenticated before skips the SHA-256 (a client polls with one token
            # thousands of times); the constant-time compare and the expiry run every time.
            record = self._recent.get(token)
            if record is None:
                record = self._tokens.get(_digest(token))
            if record is None or not hmac.compare_digest(record.token, token):
                raise ApiError(contract.Code.TOKEN_INVALID, "token invalid")
            if self.now() >= record.expires_at:
                raise ApiError(contract.Code.TOKEN_INVALID, "token expired")
            if len(self._recent) >= _RECENT_TOKENS:
                self._recent.clear()
            self._recent[record.token] = record
            return self._accounts[record.user_id]

    def holder_of(self, token: str) -> Account | None:
        """The account ``token`` was issued to, expired or not (``None`` if unknown); nothing
        else changes (unlike :meth:`authenticate`)."""
        with self._lock:
            record = self._tokens.get(_digest(token))
            if record is None or not hmac.compare_digest(record.token, token):
                return None
            return self._accounts.get(record.user_id)

    def account(self, user_id: str) -> Account | None:
        with self._lock:
            return self._accounts.get(user_id)

    def add_credits(self, user_id: str, amount: int) -> None:
        """Top up (or take away) credits; for tests and the admin API."""
        with self._lock:
            self._accounts[user_id].credits += amount

    # --- sessions -----------------------------------------------------------------------------

    def create_session(self, account: Account, task_name: str, language: str | None) -> Session:
        with self._lock:
            sid = str(
                self._rng.randrange(
                    10 ** (contract.SESSION_ID_DIGITS - 1), 10**contract.SESSION_ID_DIGITS
                )
            )
            task_id = f"task_{self._rng.getrandbits(64):016x}"
            session = Session(sid, task_id, account.user_id, task_name, language, self.now())
            self._sessions[sid] = session
            account.session_ids.append(sid)
            return session

    def session_of(self, account: Account, session_id: str) -> Session:
        """``account``'s session ``session_id``; another user's or an unknown one is 1002."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.user_id != account.user_id:
                raise ApiError(
                    contract.Code.SESSION_NOT_FOUND, f"session {_shown(session_id)} not found"
                )
            return session

    def claim_token(self, session: Session) -> str:
        with self._lock:
            token = contract.CLAIM_TOKEN_PREFIX + secrets.token_urlsafe(24)
            self._claims[_digest(token)] = (session.session_id, self.now())
            return token

    # --- credits and turns --------------------------------------------------------------------

    def credits(self, account: Account) -> Credits:
        """Credits at this instant: running turns hold their cost, finished ones are charged."""
        now = self.now()
        with self._lock:
            spent = frozen = 0
            for turn in self._turns_of(account):
                if turn.end <= now:
                    spent += turn.script.cost
                elif turn.start <= now:
                    frozen += turn.script.cost
            total = account.credits - spent
            return Credits(total - frozen, frozen, total)

    def credits_body(self, account: Account) -> bytes:
        """The credits success body as bytes, rendered again only when the numbers change."""
        with self._lock:
            now = self.credits(account)
            cached = self._credit_bodies.get(account.user_id)
            if cached is not None and cached[0] == now:
                return cached[1]
            body = ok_body(now.as_dict())
            self._credit_bodies[account.user_id] = (now, body)
            return body

    def _turns_of(self, account: Account) -> list[Turn]:
        return [t for sid in account.session_ids for t in self._sessions[sid].turns]

    def start_turn(
        self,
        account: Account,
        session: Session,
        message: str,
        plan: Callable[[str, dict[str, Any], Sequence[Mapping[str, Any]], int], TurnScript],
    ) -> Turn:
        """Plan a turn on the current draft and hold its cost; 2001 when credits fall short.

        ``plan(message, draft, media, turn_index)`` is the scripted agent.
        """
        with self._lock:
            now = self.now()
            index = len(session.turns)
            # The agent copies the draft it is given before editing: no copy needed here.
            script = plan(message, self._latest(session), copy.deepcopy(session.uploads), index)
            available = self.credits(account).available
            if available <= 0 or available < script.cost:
                raise ApiError(
                    contract.Code.OUT_OF_CREDITS,
                    f"out of credits: this turn needs {script.cost}, {available} available",
                )
            invocation = f"e-{self._rng.getrandbits(64):016x}"
            turn = Turn(index, now, message, invocation, script)
            session.turns.append(turn)
            return turn

    # --- what the dashboard lists ----------------------------------------------------------------

    def sessions(self) -> list[Session]:
        """Every session, oldest first (the records themselves: read them, never change them)."""
        with self._lock:
            return list(self._sessions.values())

    def renders(self) -> list[RenderJob]:
        """Every render job, oldest first (the records themselves)."""
        with self._lock:
            return list(self._renders.values())

    # --- uploads ----------------------------------------------------------------------------------

    def add_uploads(self, session: Session, files: Sequence[Mapping[str, Any]]) -> None:
        with self._lock:
            session.uploads.extend(dict(f) for f in files)

    # --- what a session shows: its draft and its state body -----------------------------------

    def draft(self, session: Session) -> dict[str, Any]:
        """The session's draft now (a copy: the caller may change it)."""
        return copy.deepcopy(self._latest(session))

    def _latest(self, session: Session, now: float | None = None) -> dict[str, Any]:
        """The session's draft at ``now`` (default: now): the latest landed turn edit or
        post-production step.

        The stored object itself, shared: read it, serialise it, never change it (drafts are
        replaced whole when a turn lands, never edited in place).
        """
        if now is None:
            now = self.now()
        with self._lock:
            latest = session.base_draft
            landed = [
                (when, turn.index, draft)
                for turn in session.turns
                for when, draft in turn.draft_events()
                if when <= now
            ]
            if landed:
                latest = max(landed, key=lambda e: (e[0], e[1]))[2]
            return latest

    def state_of(self, session: Session) -> dict[str, Any]:
        """The ``/latest`` state body: the draft now and what surrounds it.

        For serialising only: the draft and the upload records in it are the stored objects,
        not copies (a deep copy per read was ~15 % of a state fetch), so nothing may change them.
        """
        now = self.now()
        with self._lock:
            return self._state_at(session, self._latest(session, now), now)

    def state_body(self, session: Session) -> bytes:
        """The ``/latest`` success body as bytes, rendered once per visible change.

        What a state shows changes only when an upload is added, a turn starts, a turn ends
        (``generated_media``) or a draft lands (a turn's edit or a post-production step), and the
        last two are derived from the clock: so the cached body is kept with the draft object it
        showed (drafts are replaced, never changed) and the counts of uploads, turns and ended
        turns at that time. The ended turns at one instant are those with ``end <= now``, a
        family nested in time, so their count tells which they are.
        """
        now = self.now()
        with self._lock:
            draft = self._latest(session, now)
            key = (len(session.uploads), len(session.turns), _ended(session, now))
            cached = self._bodies.get(session.session_id)
            if cached is not None and cached.draft is draft and cached.key == key:
                return cached.body
            body = ok_body(self._state_at(session, draft, now))
            self._bodies[session.session_id] = CachedBody(draft, key, body)
            return body

    def _state_at(self, session: Session, draft: dict[str, Any], now: float) -> dict[str, Any]:
        with self._lock:
            found = draft.get("m")
            meta: dict[str, Any] = found if isinstance(found, dict) else {}
            generated = [
                {"id": f"gen_{t.index}", "type": "video", "turn": t.index, "message": t.message}
                for t in session.turns
                if t.script.kind == "generate" and t.end <= now
            ]
            return {
                "session_id": session.session_id,
                "task_id": session.task_id,
                "task_name": session.task_name,
                "state": {
                    # A new list (uploads may be added meanwhile); the records are never changed.
                    "video_infos": list(session.uploads),
                    "draft": draft,
                    "canvas_config": {
                        "width": meta.get("width", 1920),
                        "height": meta.get("height", 1080),
                    },
                    "video_analyses": [],
                    "generated_media": generated,
                },
            }

    # --- render jobs, by render id ------------------------------------------------------------

    def submit_render(
        self,
        account: Account,
        session: Session,
        render_id: str,
        make: Callable[[], RenderJob],
    ) -> tuple[RenderJob, bool]:
        """``(job, created)``: the job ``render_id`` (existing or made by ``make``).

        A repeated id returns the existing job; an id another user took, or a second active
        export in one session, is HTTP 409.
        """
        now = self.now()
        with self._lock:
            existing = self._renders.get(render_id)
            if existing is not None:
                if existing.user_id != account.user_id:
                    raise ApiError(409, f"render id {render_id} is already in use; pick another id")
                return existing, False
            for job in self._renders.values():
                if job.session_id == session.session_id and job.is_active(now):
                    raise ApiError(
                        409,
                        f"session {session.session_id} already has an active export "
                        f"({job.id}); wait for it or cancel it",
                        extra={"activeId": job.id},
                    )
            job = make()
            self._renders[render_id] = job
            return job, True

    def render_of(self, account: Account, render_id: str) -> RenderJob:
        """``account``'s render ``render_id``; another user's or an unknown one is 1002."""
        with self._lock:
            job = self._renders.get(render_id)
            if job is None or job.user_id != account.user_id:
                raise ApiError(
                    contract.Code.SESSION_NOT_FOUND, f"render {_shown(render_id)} not found"
                )
            return job

    def cancel_render(self, account: Account, render_id: str) -> RenderJob:
        """Cancel an active render; a finished one is returned as it is."""
        now = self.now()
        with self._lock:
            job = self.render_of(account, render_id)
            job.cancel(now)
            return job

    def render_for_download(self, render_id: str) -> RenderJob | None:
        """Any user's render: output URLs work like a CDN link, without a token."""
        with self._lock:
            return self._renders.get(render_id)
