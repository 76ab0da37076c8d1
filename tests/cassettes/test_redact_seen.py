"""A redactor that has seen many secrets (a proxy recording hundreds of clients) still finds
each again wherever it appears, glued to other text or not, with its own placeholder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance.cassettes._redact import Redactor, find_secrets


def test_hundreds_of_seen_tokens_and_client_ids_are_each_found_again() -> None:
    redactor = Redactor()
    tokens = [f"nmv_usr_{n:04d}SecretPart" for n in range(300)]
    clients = [f"client-{n:03d}-laptop" for n in range(50)]
    for token, client in zip(tokens, clients * 6, strict=True):
        redactor.header("Authorization", f"Bearer {token}")
        redactor.header("X-Client-Id", client)
    text = f"x{tokens[250]} (glued) {clients[49]}, {tokens[3]}."
    assert redactor.text(text) == "x<TOKEN_251> (glued) <CLIENT_ID_50>, <TOKEN_4>."
    assert redactor.counts["TOKEN"] == 300
    assert redactor.counts["CLIENT_ID"] == 50


def test_a_plain_secret_containing_another_is_replaced_whole() -> None:
    redactor = Redactor()
    redactor.header("X-Client-Id", "laptop-one")
    redactor.header("X-Client-Id", "laptop-one-two")
    assert redactor.text("laptop-one-two / laptop-one") == "<CLIENT_ID_2> / <CLIENT_ID_1>"


def test_a_token_seen_by_position_without_a_prefix_is_found_in_text() -> None:
    redactor = Redactor()
    redactor.json({"token": "opaque-token-value-123"})
    out = redactor.text("sent opaque-token-value-123 and nmv_usr_another1")
    assert out == "sent <TOKEN_1> and <TOKEN_2>"
    assert find_secrets(out) == []


# --- the shortcut for text without a secret's prefix ---------------------------------------------

_PIECES = ["nmv_usr_", "clm_", "anon_", "abc", "A1", "-", "_", " ", "<", ">", "TOKEN", "<TOKEN_1>",
           "<CLAIM>", "laptop-one", "x", ":", "\n"]  # fmt: skip


def _every_substitution(redactor: Redactor, value: str) -> str:
    """``Redactor.text`` as it was before its shortcut: every substitution, always run."""
    from conformance.cassettes import _redact

    if redactor._seen and _redact._PREFIXED.search(value):
        value = _redact._PREFIXED.sub(lambda m: redactor._seen.get(m.group(0), m.group(0)), value)
    if redactor._stale:
        redactor._rebuild_literal()
    if redactor._literal is not None:
        value = redactor._literal.sub(lambda m: redactor._seen[m.group(0)], value)
    for kind, pattern in _redact._PATTERNS.items():
        if kind != "USER_ID" or redactor.redact_user_ids:
            value = pattern.sub(redactor._replacer(kind), value)
    if redactor._wildcard:
        value = _redact.PLACEHOLDER_RE.sub(lambda m: f"<{m.group(1)}>", value)
    return value


@given(
    texts=st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), max_size=6),
    wildcard=st.booleans(),
    user_ids=st.booleans(),
)
def test_the_shortcut_for_text_without_a_prefix_changes_no_result(
    texts: list[str], wildcard: bool, user_ids: bool
) -> None:
    fast = Redactor(wildcard=wildcard, redact_user_ids=user_ids)
    slow = Redactor(wildcard=wildcard, redact_user_ids=user_ids)
    for redactor in (fast, slow):
        redactor.header("X-Client-Id", "laptop-one")
        redactor.header("Authorization", "Bearer nmv_usr_seenA1")
    for text in texts:  # in turn: each text may add secrets the next must find again
        assert fast.text(text) == _every_substitution(slow, text)
    assert fast.counts == slow.counts
