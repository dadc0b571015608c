"""Truncation keeps [CLS]/[SEP], the most recent whole activities, and the context sections."""

from persona_dagster.sequences import DAILY_SERVICE, LOCATION, format_session_sequence
from persona_dagster.sessionbert.encoding import encode_sessions
from persona_dagster.sessionbert.tokenizer import train_tokenizer

ACTS = [f"svc{i};page_{i}" for i in range(20)]
CONTEXT = {LOCATION: ["country:Germany", "city:Berlin"], DAILY_SERVICE: ["svc1", "svc2"]}
TEXT = format_session_sequence(ACTS, CONTEXT)
CONTEXT_TOKENS = ["[location_token]", "country:Germany", "city:Berlin", "[daily_service_token]", "svc1", "svc2"]


def test_short_sessions_are_untouched():
    tok = train_tokenizer([TEXT])
    (ids,) = encode_sessions(tok, [TEXT], max_len=512)
    assert tok.convert_ids_to_tokens(ids) == ["[CLS]", *TEXT.split(), "[SEP]"]


def test_truncation_drops_the_oldest_activities_and_keeps_context():
    tok = train_tokenizer([TEXT])
    (ids,) = encode_sessions(tok, [TEXT], max_len=20)
    tokens = tok.convert_ids_to_tokens(ids)
    assert len(tokens) <= 20
    # 20 - [CLS] - [SEP] - [activity] - 6 context tokens leaves 11: the last 6 activities with their separators.
    assert tokens == ["[CLS]", "[activity]", *format_session_sequence(ACTS[-6:]).split()[1:], *CONTEXT_TOKENS, "[SEP]"]


def test_generic_truncation_cuts_at_activity_boundaries():
    tok = train_tokenizer([TEXT], kind="generic")
    (ids,) = encode_sessions(tok, [TEXT], max_len=24)
    tokens = tok.convert_ids_to_tokens(ids)
    assert len(tokens) <= 24
    body = tokens[2 : tokens.index("[location_token]")]
    # Each activity is 5 sub-words ('svcN', ';', 'page', '_', 'N'): no partial one at the front.
    assert body[0].startswith("svc") and body[1] == ";"
    assert body[-5:] == ["svc19", ";", "page", "_", "19"]
    assert tokens[tokens.index("[location_token]") : -1] == ["[location_token]", "country", ":", "Germany", "city", ":", "Berlin", "[daily_service_token]", "svc1", "svc2"]


def test_long_context_gets_at_most_half_the_budget():
    long_context = {DAILY_SERVICE: [f"svc{i}" for i in range(20)] * 3}
    text = format_session_sequence(ACTS, long_context)
    tok = train_tokenizer([text])
    (ids,) = encode_sessions(tok, [text], max_len=34)
    tokens = tok.convert_ids_to_tokens(ids)
    # Budget 32: the context is cut to 16 from its end, the activities fill the other 16.
    context = tokens[tokens.index("[daily_service_token]") : -1]
    assert context == ["[daily_service_token]", *[f"svc{i}" for i in range(15)]]
    assert tokens[:-1][: -len(context)] == ["[CLS]", *format_session_sequence(ACTS[-8:]).split()]
    assert len(tokens) == 34
