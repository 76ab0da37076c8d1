"""The Redactor: secrets become stable placeholders, and the matching form makes them wildcards."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance.cassettes._redact import PLACEHOLDER_RE, Redactor, find_secrets

TOKEN = "nmv_usr_9f8e7d6c5b4a"
OTHER = "nmv_usr_0000aaaa1111"
CLAIM = "clm_AbC-123_xyz"


def test_the_same_token_gets_the_same_placeholder_everywhere() -> None:
    redactor = Redactor()
    body = redactor.json({"data": {"token": TOKEN, "note": f"use {TOKEN}"}})
    assert body == {"data": {"token": "<TOKEN_1>", "note": "use <TOKEN_1>"}}
    assert redactor.header("Authorization", f"Bearer {TOKEN}") == "Bearer <TOKEN_1>"
    assert redactor.header("authorization", f"Bearer {OTHER}") == "Bearer <TOKEN_2>"
    assert redactor.text(f"{OTHER} then {TOKEN}") == "<TOKEN_2> then <TOKEN_1>"
    assert redactor.counts["TOKEN"] == 2


def test_claim_tokens_and_client_ids_have_their_own_kinds() -> None:
    redactor = Redactor()
    body = redactor.json({"data": {"claim_token": CLAIM, "expires_in": 604800}})
    assert body == {"data": {"claim_token": "<CLAIM_1>", "expires_in": 604800}}
    assert redactor.text(f"/workspace/claim?ct={CLAIM}") == "/workspace/claim?ct=<CLAIM_1>"
    client_id = "6f1c2a9e-1111-4222-8333-944455556666"
    assert redactor.header("X-Client-Id", client_id) == "<CLIENT_ID_1>"
    # Found once by its position, the client id is replaced wherever it shows up again.
    assert redactor.text(f"id={client_id}") == "id=<CLIENT_ID_1>"


def test_a_token_without_the_known_prefix_is_caught_by_its_position() -> None:
    redactor = Redactor()
    assert redactor.header("Authorization", "Bearer user-supplied-secret") == "Bearer <TOKEN_1>"
    assert redactor.json({"token": "user-supplied-secret"}) == {"token": "<TOKEN_1>"}
    assert redactor.text("echo user-supplied-secret") == "echo <TOKEN_1>"
    assert redactor.header("Authorization", "weird") == "<TOKEN_2>"


def test_short_secrets_are_not_replaced_inside_other_text() -> None:
    redactor = Redactor()
    assert redactor.header("X-Client-Id", "abc") == "<CLIENT_ID_1>"
    assert redactor.text("abcdef") == "abcdef"


def test_user_ids_are_replaced_only_when_asked() -> None:
    assert Redactor().json({"user_id": "anon_42"}) == {"user_id": "anon_42"}
    redactor = Redactor(redact_user_ids=True)
    assert redactor.json({"user_id": "anon_42", "u": ["anon_42"]}) == {
        "user_id": "<USER_ID_1>",
        "u": ["<USER_ID_1>"],
    }
    assert redactor.text("/register?bind=anon_42") == "/register?bind=<USER_ID_1>"


def test_secrets_in_keys_and_nested_lists_are_replaced() -> None:
    redactor = Redactor()
    assert redactor.json([{TOKEN: [CLAIM, 1, None, True]}]) == [
        {"<TOKEN_1>": ["<CLAIM_1>", 1, None, True]}
    ]


def test_placeholders_are_left_alone_and_the_repr_shows_no_secret() -> None:
    redactor = Redactor()
    assert redactor.header("Authorization", "Bearer <TOKEN_1>") == "Bearer <TOKEN_1>"
    redactor.text(TOKEN)
    assert TOKEN not in repr(redactor)
    assert repr(redactor) == "Redactor(TOKEN=1)"


def test_continue_after_numbers_new_secrets_past_the_old_ones() -> None:
    redactor = Redactor()
    redactor.continue_after('{"a": "Bearer <TOKEN_3>", "b": "<CLAIM_1>"}')
    assert redactor.text(TOKEN) == "<TOKEN_4>"
    assert redactor.text(CLAIM) == "<CLAIM_2>"


def test_the_matching_form_turns_secrets_and_placeholders_into_bare_kinds() -> None:
    matching = Redactor.for_matching()
    recorded = {"token": "<TOKEN_7>", "ct": "<CLAIM_2>", "user": "<USER_ID_1>"}
    live = {"token": TOKEN, "ct": CLAIM, "user": "anon_5"}
    assert matching.json(recorded) == matching.json(live)
    assert matching.json(live) == {"token": "<TOKEN>", "ct": "<CLAIM>", "user": "<USER_ID>"}
    assert matching.header("Authorization", f"Bearer {OTHER}") == "Bearer <TOKEN>"
    assert matching.header("Authorization", "Bearer <TOKEN_1>") == "Bearer <TOKEN>"
    assert matching.header("X-Client-Id", "<CLIENT_ID_1>") == "<CLIENT_ID>"


def test_find_secrets_sees_tokens_and_claim_tokens_but_not_placeholders() -> None:
    assert find_secrets(f"x {TOKEN} y {CLAIM} <TOKEN_1>") == [TOKEN, CLAIM]
    assert find_secrets("reclm_x is a word, not a claim token") == []


_SUFFIX = st.text(alphabet="abcXYZ019_-", min_size=1, max_size=20)
_NOISE = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(
    pieces=st.lists(
        st.tuples(_NOISE, st.sampled_from(["nmv_usr_", "clm_"]), _SUFFIX), min_size=1, max_size=5
    ),
    tail=_NOISE,
)
def test_no_token_survives_redaction_of_any_text(
    pieces: list[tuple[str, str, str]], tail: str
) -> None:
    # Each secret starts after a separator, as it would in JSON, a header or a URL.
    text = "".join(f"{noise} {prefix}{suffix}" for noise, prefix, suffix in pieces) + tail
    redactor = Redactor()
    cleaned = redactor.text(text)
    assert find_secrets(cleaned) == []
    assert len(PLACEHOLDER_RE.findall(cleaned)) >= 1
    assert redactor.text(text) == cleaned  # stable: the same text gives the same placeholders
