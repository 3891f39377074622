"""The UI's signed session cookie: round trip, forgery, expiry."""

from __future__ import annotations

import time

from pyrus_bots.server.admin.ui_session import (
    UISession,
    decode_session,
    encode_session,
)
from pyrus_bots.server.settings import Settings

KEY = b"k" * 32
SESSION_MAX_AGE = Settings().ui_session_max_age


def test_round_trip_keeps_identity_and_csrf() -> None:
    session = UISession()
    session.sign_in_person(1001)
    decoded = decode_session(KEY, encode_session(KEY, session), SESSION_MAX_AGE)
    assert decoded is not None
    assert (decoded.person_id, decoded.admin, decoded.csrf) == (1001, False, session.csrf)


def test_signing_in_changes_the_csrf_token() -> None:
    session = UISession()
    before = session.csrf
    session.sign_in_admin()
    assert session.csrf != before and session.admin and session.person_id is None


def test_a_tampered_cookie_is_refused() -> None:
    session = UISession()
    session.sign_in_person(1001)
    cookie = encode_session(KEY, session)
    payload, _, signature = cookie.rpartition(".")
    other = UISession()
    other.sign_in_admin()
    forged_payload = encode_session(b"x" * 32, other).rpartition(".")[0]
    assert decode_session(KEY, f"{forged_payload}.{signature}", SESSION_MAX_AGE) is None
    assert decode_session(b"y" * 32, cookie, SESSION_MAX_AGE) is None
    assert decode_session(KEY, payload, SESSION_MAX_AGE) is None
    assert decode_session(KEY, "", SESSION_MAX_AGE) is None


def test_an_old_cookie_expires() -> None:
    session = UISession()
    session.sign_in_person(7)
    cookie = encode_session(KEY, session)
    assert (
        decode_session(KEY, cookie, SESSION_MAX_AGE, now=time.time() + SESSION_MAX_AGE - 60)
        is not None
    )
    assert (
        decode_session(KEY, cookie, SESSION_MAX_AGE, now=time.time() + SESSION_MAX_AGE + 60) is None
    )


def test_csrf_check_is_exact() -> None:
    session = UISession()
    assert session.csrf_ok(session.csrf)
    assert not session.csrf_ok(session.csrf + "x")
    assert not session.csrf_ok("")
    assert not session.csrf_ok(None)
