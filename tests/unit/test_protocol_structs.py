"""TAPI structures: DATE / CURRENCY / GUID adapters, list size rule, malformed structure bytes."""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import (
    AgentGroupEntry,
    AgentGroupList,
    AgentSessionEntry,
    AgentSessionInfo,
    AgentSessionList,
    ErrorCode,
    LocalProtocolError,
    ProtocolError,
    bytes_to_guid,
    cy_to_decimal,
    datetime_to_ole,
    decimal_to_cy,
    decode_reply_data,
    decode_struct,
    encode_handle,
    guid_to_bytes,
    ole_to_datetime,
)
from protocol.structs import OLE_EXACT_DAYS

UTC = dt.timezone.utc
EPOCH = dt.datetime(1899, 12, 30, tzinfo=UTC)


# --- DATE ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "value"),
    [
        (dt.datetime(1899, 12, 30, tzinfo=UTC), 0.0),
        (dt.datetime(1900, 1, 4, 6, tzinfo=UTC), 5.25),  # [MS-OAUT] 2.2.25 example
        (dt.datetime(1899, 12, 29, 6, tzinfo=UTC), -1.25),  # negative: days back, fraction still time of day
        (dt.datetime(1899, 12, 29, tzinfo=UTC), -1.0),
        (dt.datetime(2026, 11, 26, 9, tzinfo=UTC), 46352.375),
        (dt.datetime(2026, 11, 26, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))), 46352.375),  # UTC instant
    ],
)
def test_ole_date_known_values(moment: dt.datetime, value: float) -> None:
    assert datetime_to_ole(moment) == value
    back = ole_to_datetime(value)
    assert back == moment and back.tzinfo is UTC


def test_ole_date_half_day_before_epoch_is_the_ole_ambiguity() -> None:
    # -0.5 and 0.5 both mean 1899-12-30 12:00 in OLE's sign-magnitude scheme
    assert ole_to_datetime(-0.5) == ole_to_datetime(0.5) == dt.datetime(1899, 12, 30, 12, tzinfo=UTC)


exact_range = st.integers(-(OLE_EXACT_DAYS - 1) * 86_400_000_000, OLE_EXACT_DAYS * 86_400_000_000 - 1).map(
    lambda us: EPOCH + dt.timedelta(microseconds=us)
)


@settings(max_examples=2000, deadline=None)
@given(exact_range)
def test_ole_date_is_microsecond_exact_within_2_to_16_days(moment: dt.datetime) -> None:
    assert ole_to_datetime(datetime_to_ole(moment)) == moment


@settings(max_examples=500, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(UTC)))
def test_ole_date_error_is_below_half_an_ulp_everywhere(moment: dt.datetime) -> None:
    back = ole_to_datetime(datetime_to_ole(moment))
    assert abs(back - moment) <= dt.timedelta(microseconds=21)  # half ulp at 2.9e6 days = 20.1 us


def test_ole_date_guarantee_is_tight_beyond_2079() -> None:
    moment = dt.datetime(2080, 5, 10, 9, 34, 7, 538667, tzinfo=UTC)
    assert ole_to_datetime(datetime_to_ole(moment)) != moment


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), 1e300, -1e9])
def test_ole_date_invalid_values_are_protocol_errors(bad: float) -> None:
    with pytest.raises(ProtocolError) as ei:
        ole_to_datetime(bad)
    assert ei.value.code == ErrorCode.MALFORMED


def test_naive_datetime_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        datetime_to_ole(dt.datetime(2026, 1, 1))


# --- CURRENCY -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dec", "cy"),
    [(Decimal("5.25"), 52500), (Decimal("0"), 0), (Decimal("-0.0001"), -1), (Decimal("12.3456"), 123456),
     (Decimal("1." + "0" * 5000), 10_000), (Decimal("-7E+3"), -70_000_000), (Decimal("0E-9"), 0),
     (Decimal("922337203685477.5807"), 2**63 - 1), (Decimal("-922337203685477.5808"), -(2**63)), (7, 70000)],
)
def test_currency_known_values(dec: Decimal, cy: int) -> None:
    assert decimal_to_cy(dec) == cy
    assert cy_to_decimal(cy) == dec
    assert cy_to_decimal(cy).as_tuple().exponent == -4


@pytest.mark.parametrize(
    "bad",
    [Decimal("0.00001"), Decimal("922337203685477.5808"), Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"),
     Decimal("1E+999999999"), Decimal("1E-999999999"), Decimal("1.00001000"), Decimal("1." + "0" * 5000 + "1"),
     "1", 1.5],
)
def test_currency_not_exact_or_out_of_range_is_local_error(bad: object) -> None:
    for _ in range(2):  # the second time through the memo: refusals are never memoised
        with pytest.raises(LocalProtocolError):
            decimal_to_cy(bad)  # type: ignore[arg-type]


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None), st.integers(1, 40))
def test_currency_is_exact_in_any_decimal_context(dec: Decimal, prec: int) -> None:
    """decimal_to_cy is value x 10,000 exactly or a refusal, whatever the context's precision (the memo
    may hand a result computed in another context)."""
    import decimal
    from fractions import Fraction

    exact = Fraction(dec) * 10_000
    ok = exact.denominator == 1 and -(2**63) <= exact <= 2**63 - 1
    with decimal.localcontext(decimal.Context(prec=prec)):
        if ok:
            assert decimal_to_cy(dec) == exact
        else:
            with pytest.raises(LocalProtocolError):
                decimal_to_cy(dec)
    if ok:
        assert decimal_to_cy(dec) == exact


# --- GUID ---------------------------------------------------------------------------------------------


def test_guid_is_ms_dtyp_layout() -> None:
    g = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    expected = struct.pack("<IHH", 0x00112233, 0x4455, 0x6677) + bytes.fromhex("8899aabbccddeeff")
    assert guid_to_bytes(g) == expected
    assert bytes_to_guid(expected) == g


@pytest.mark.parametrize("size", [0, 15, 17])
def test_guid_other_sizes_are_malformed(size: int) -> None:
    with pytest.raises(ProtocolError):
        bytes_to_guid(bytes(size))


# --- size rule ----------------------------------------------------------------------------------------

G1, G2 = uuid.UUID(int=1), uuid.UUID(int=2)
SESSIONS = [AgentSessionEntry(10, 1, G1, 0), AgentSessionEntry(11, 1, G2, 0)]


def test_session_list_fits_exactly() -> None:
    full = 24 + 2 * 28
    lst = AgentSessionList.build(SESSIONS, full)
    assert (lst.total_size, lst.needed_size, lst.used_size, lst.entries) == (full, full, full, tuple(SESSIONS))
    data = lst.to_bytes()
    assert len(data) == full
    assert struct.unpack_from("<6I", data) == (full, full, full, 2, 56, 24)


def test_session_list_one_byte_short_returns_no_entries() -> None:
    full = 24 + 2 * 28
    lst = AgentSessionList.build(SESSIONS, full - 1)
    assert (lst.total_size, lst.needed_size, lst.used_size, lst.entries) == (full - 1, full, 24, ())
    assert struct.unpack("<6I", lst.to_bytes()) == (full - 1, full, 24, 0, 0, 0)


def test_group_list_size_rule_counts_names() -> None:
    entries = [AgentGroupEntry(G1, "Sales"), AgentGroupEntry(G2, "")]
    full = 24 + 2 * 24 + 12 + 2  # "Sales\0" = 12 bytes, "\0" = 2 bytes
    assert AgentGroupList.build(entries, full).entries == tuple(entries)
    short = AgentGroupList.build(entries, full - 1)
    assert (short.needed_size, short.used_size, short.entries) == (full, 24, ())
    assert decode_struct(AgentGroupList, short.to_bytes()) == short


def test_builder_refuses_buffer_below_fixed_size() -> None:
    with pytest.raises(LocalProtocolError):
        AgentSessionList.build([], 23)


def test_inconsistent_used_size_is_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        AgentSessionList(total_size=100, needed_size=52, used_size=24, entries=SESSIONS[:1]).to_bytes()


def test_group_name_with_nul_is_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        AgentGroupList.build([AgentGroupEntry(G1, "a\x00b")], 100)


# --- malformed structure bytes ------------------------------------------------------------------------


def header(total: int, needed: int, used: int, n: int, size: int, off: int) -> bytes:
    return struct.pack("<6I", total, needed, used, n, size, off)


@pytest.mark.parametrize(
    ("cls", "data"),
    [
        (AgentSessionInfo, bytes(75)),
        (AgentSessionList, bytes(23)),
        (AgentSessionList, header(100, 52, 52, 1, 27, 24) + bytes(28)),  # list size != n x 28
        (AgentSessionList, header(100, 52, 52, 1, 28, 24) + bytes(27)),  # entries past the end
        (AgentSessionList, header(100, 52, 52, 1, 28, 8) + bytes(28)),  # entries inside the header
        (AgentSessionList, header(100, 52, 52, 0xFFFFFFFF, 0xFFFFFFE4, 24)),  # n x 28 overflows u32
        (AgentGroupList, header(100, 60, 60, 1, 24, 24) + bytes(16) + struct.pack("<II", 4, 48) + b"a\x00b\x00"),
        (AgentGroupList, header(100, 60, 60, 1, 24, 24) + bytes(16) + struct.pack("<II", 12, 48) + b"a\x00"),
        (AgentGroupList, header(100, 60, 60, 1, 24, 24) + bytes(16) + struct.pack("<II", 3, 48) + b"a\x00\x00"),
        (AgentGroupList, header(100, 60, 60, 1, 24, 24) + bytes(16) + struct.pack("<II", 4, 48) + b"\x00\xd8\x00\x00"),
    ],
    ids=["info-short", "list-short", "list-size", "list-past-end", "list-in-header", "list-overflow",
         "name-no-nul", "name-past-end", "name-odd", "name-lone-surrogate"],
)
def test_malformed_structures(cls: type, data: bytes) -> None:
    with pytest.raises(ProtocolError) as ei:
        decode_struct(cls, data)
    assert ei.value.code == ErrorCode.MALFORMED


def test_session_info_with_nan_date_is_malformed() -> None:
    data = bytearray(AgentSessionInfo().to_bytes())
    data[20:28] = struct.pack("<d", float("nan"))
    with pytest.raises(ProtocolError):
        decode_struct(AgentSessionInfo, bytes(data))


def test_reply_data_table() -> None:
    assert decode_reply_data(146, encode_handle(0xABCD)) == 0xABCD
    assert decode_reply_data(147, struct.pack("<I", 7)) == 7
    assert decode_reply_data(155, b"") is None
    assert decode_reply_data(149, AgentSessionInfo().to_bytes()) == AgentSessionInfo()
    with pytest.raises(ProtocolError):
        decode_reply_data(146, b"\x01\x02")
