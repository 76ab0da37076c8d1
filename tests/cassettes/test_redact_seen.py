"""A redactor that has seen many secrets (a proxy recording hundreds of clients) still finds
each again wherever it appears, glued to other text or not, with its own placeholder."""

from __future__ import annotations

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
