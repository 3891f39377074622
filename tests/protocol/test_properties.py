"""Property tests: the JSON rules and the signature hold for arbitrary inputs."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pyrus_bots.protocol.models import FieldType
from pyrus_bots.protocol.pyrus_json import dumps, dumps_clean, is_empty, loads, omit_empty
from pyrus_bots.protocol.signature import sign, verify

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=25,
)


def has_empty_dict_value(value: Any) -> bool:
    if isinstance(value, dict):
        return any(is_empty(v) or has_empty_dict_value(v) for v in value.values())
    if isinstance(value, list):
        return any(has_empty_dict_value(item) for item in value)
    return False


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_omit_empty_is_idempotent_and_complete(value: Any) -> None:
    cleaned = omit_empty(value)
    assert omit_empty(cleaned) == cleaned
    assert not has_empty_dict_value(cleaned)
    assert loads(dumps(value)) == cleaned


pyrus_values = st.recursive(
    json_values
    | st.datetimes(timezones=st.just(UTC))
    | st.dates()
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.sampled_from(FieldType),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(pyrus_values)
def test_dumps_clean_writes_what_dumps_writes_for_clean_data(value: Any) -> None:
    # Renderers hand over data without empty values; the fast writer must not differ then.
    cleaned = omit_empty(value)
    assert dumps_clean(cleaned) == dumps(value)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=1, max_size=200), st.text(min_size=1, max_size=30), st.data())
def test_signature_accepts_only_the_signed_bytes(body: bytes, secret: str, data: Any) -> None:
    assert verify(body, secret, sign(body, secret))
    assert verify(body, secret, sign(body, secret, upper=True))
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    tampered = bytearray(body)
    tampered[index] ^= flip
    assert not verify(bytes(tampered), secret, sign(body, secret))
