"""X-Pyrus-Sig: HMAC-SHA1 over the exact body bytes (vectors computed with openssl dgst)."""

from __future__ import annotations

import pytest

from pyrus_bots.protocol.signature import sign, verify

BODY = b'{"event":"comment","task_id":5600}'
SECRET = "bot-secret"
# printf '%s' '{"event":"comment","task_id":5600}' | openssl dgst -sha1 -hmac 'bot-secret'
EXPECTED = "66e5960814b44257d97d4e84587845b2e5781583"


def test_sign_matches_an_independent_vector() -> None:
    assert sign(BODY, SECRET) == EXPECTED
    assert sign(BODY, SECRET, upper=True) == EXPECTED.upper()
    assert sign(BODY, SECRET.encode()) == EXPECTED


def test_sign_matches_rfc_style_vector_and_utf8_key() -> None:
    fox = b"The quick brown fox jumps over the lazy dog"
    assert sign(fox, "key") == "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
    # Key and body are UTF-8 bytes, not Latin-1 or code points.
    assert sign("тест".encode(), "ключ") == "1ca8060758237578fe6e707613a248ce3fe646c7"


@pytest.mark.parametrize(
    "header",
    [
        EXPECTED,
        EXPECTED.upper(),
        EXPECTED[:20] + EXPECTED[20:].upper(),
        f"sha1={EXPECTED}",
        f"SHA1={EXPECTED.upper()}",
        f"  {EXPECTED}\r\n",
        f" sha1= {EXPECTED} ",
    ],
)
def test_verify_accepts_every_spelling_of_the_right_signature(header: str) -> None:
    assert verify(BODY, SECRET, header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "sha1=",
        "not-a-signature",
        EXPECTED[:-1],
        EXPECTED + "0",
        "g" * 40,
        "é" * 40,
    ],
)
def test_verify_fails_closed_on_missing_or_malformed_header(header: str | None) -> None:
    assert not verify(BODY, SECRET, header)


def test_one_tampered_byte_or_wrong_key_fails() -> None:
    for index in range(len(BODY)):
        tampered = bytearray(BODY)
        tampered[index] ^= 0x01
        assert not verify(bytes(tampered), SECRET, EXPECTED)
    assert not verify(BODY, "other-secret", EXPECTED)
    assert not verify(BODY + b" ", SECRET, EXPECTED)
