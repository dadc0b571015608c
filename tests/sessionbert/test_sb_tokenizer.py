"""The session and generic tokenizers: what stays one token, [UNK], vocab cap, save/load."""

from persona_dagster.sequences import DAILY_SERVICE, LOCATION, SECTION_TOKENS, format_session_sequence
from persona_dagster.sessionbert.tokenizer import SPECIAL_TOKENS, load_tokenizer, train_tokenizer

CONTEXT = {LOCATION: ["country:Germany", "city:Berlin"], DAILY_SERVICE: ["compute", "storage"]}
CORPUS = [
    format_session_sequence(["compute;list", "compute;create_instance", "storage;bucket-view"], CONTEXT),
    format_session_sequence(["compute;list", "storage;bucket-view"], CONTEXT),
    format_session_sequence(["billing;invoices", "compute;list"], {LOCATION: ["country:Japan", "city:Tokyo"]}),
]


def test_session_tokenizer_keeps_activities_and_sections_whole():
    tok = train_tokenizer(CORPUS)
    text = CORPUS[0]
    assert tok.convert_ids_to_tokens(tok(text).input_ids) == ["[CLS]", *text.split(), "[SEP]"]


def test_special_tokens_come_first_and_are_never_split():
    tok = train_tokenizer(CORPUS, kind="generic")
    assert [tok.convert_ids_to_tokens(i) for i in range(len(SPECIAL_TOKENS))] == list(SPECIAL_TOKENS)
    assert set(SECTION_TOKENS) <= set(SPECIAL_TOKENS)
    ids = tok(" ".join(SECTION_TOKENS), add_special_tokens=False).input_ids
    assert tok.convert_ids_to_tokens(ids) == list(SECTION_TOKENS)


def test_unknown_activities_become_unk():
    tok = train_tokenizer(CORPUS)
    ids = tok("[activity] compute;list [SEP] never;seen", add_special_tokens=False).input_ids
    assert tok.convert_ids_to_tokens(ids) == ["[activity]", "compute;list", "[SEP]", "[UNK]"]


def test_vocab_cap_drops_the_least_frequent_words():
    corpus = ["[activity] a;x [SEP] a;x [SEP] b;y"] * 3 + ["[activity] rare;z"]
    tok = train_tokenizer(corpus, vocab_size=len(SPECIAL_TOKENS) + 2)
    assert len(tok) == len(SPECIAL_TOKENS) + 2
    tokens = tok.convert_ids_to_tokens(tok("[activity] a;x [SEP] b;y [SEP] rare;z", add_special_tokens=False).input_ids)
    assert tokens == ["[activity]", "a;x", "[SEP]", "b;y", "[SEP]", "[UNK]"]


def test_generic_tokenizer_splits_activities_into_subwords():
    tok = train_tokenizer(CORPUS, kind="generic")
    ids = tok("[activity] compute;create_instance [location_token] country:Germany", add_special_tokens=False).input_ids
    assert tok.convert_ids_to_tokens(ids) == [
        "[activity]", "compute", ";", "create", "_", "instance", "[location_token]", "country", ":", "Germany",
    ]


def test_save_and_load_round_trip(tmp_path):
    tok = train_tokenizer(CORPUS)
    tok.save_pretrained(tmp_path)
    loaded = load_tokenizer(tmp_path)
    assert loaded.get_vocab() == tok.get_vocab()
    assert [loaded(t).input_ids for t in CORPUS] == [tok(t).input_ids for t in CORPUS]
    assert (loaded.pad_token_id, loaded.mask_token_id, loaded.cls_token_id) == (0, 4, 2)
    assert set(loaded.all_special_tokens) == set(SPECIAL_TOKENS)
