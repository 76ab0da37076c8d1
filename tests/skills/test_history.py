"""nemokit.history: the guide's versions and its documented earlier forms, found in requests."""

from __future__ import annotations

import pytest

from nemokit import contract, history

SID = "1234567890123456789"


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "body", "key"),
    [
        ("POST", f"/api/upload-video/nemo_agent/anon_1/{SID}", "", {}, None, "user-id-upload-path"),
        ("GET", f"/api/state/nemo_agent/anon_1/{SID}/latest", "", {}, None, "user-id-state-path"),
        ("POST", "/run_sse", "", {}, {"user_id": "anon_1", "session_id": SID}, "sse-real-user-id"),
        ("POST", "/api/render/proxy/draft", "", {}, None, "render-draft-path"),
        ("GET", "/api/render/proxy/render_1", "", {}, None, "render-draft-poll"),
        ("GET", contract.PATH_CREDITS, "", {"X-API-Key": "k", "X-User-Id": "u"}, None,
         "api-key-headers"),
        ("GET", "/workspace/claim", "token=nmv_usr_x&task=t&session=s", {}, None,
         "token-claim-link"),
    ],
)  # fmt: skip
def test_each_documented_earlier_form_is_recognised(
    method: str, path: str, query: str, headers: dict[str, str], body: object, key: str
) -> None:
    forms = history.deprecated_forms_of(method, path, query, headers, body)
    assert [f.key for f in forms] == [key]
    assert forms[0].flag.startswith(forms[0].what + "; documented until guide ")
    assert "; now: " in forms[0].flag


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", contract.PATH_UPLOAD.format(sid=SID), None),
        ("GET", contract.PATH_STATE.format(sid=SID), None),
        ("POST", contract.PATH_RUN_SSE, {"user_id": "me", "session_id": SID}),
        ("POST", contract.PATH_RENDER, None),
        ("GET", contract.PATH_RENDER_STATUS.format(id="render_1"), None),
        ("GET", contract.PATH_DOWNLOAD.format(id="render_1"), None),
        ("POST", contract.PATH_RENDER_CANCEL.format(id="render_1"), None),
    ],
)
def test_current_forms_are_not_flagged(method: str, path: str, body: object) -> None:
    headers = {"Authorization": "Bearer t", "X-User-Id": "ignored beside Bearer"}
    assert history.deprecated_forms_of(method, path, "", headers, body) == []


def test_versions_are_ordered_and_the_current_one_is_last() -> None:
    assert history.CURRENT_GUIDE == "1.9"
    assert history.guide_index("0.x") < history.guide_index("1.4") < history.guide_index("1.9")
    with pytest.raises(ValueError, match="known versions"):
        history.guide_index("2.0")
    link = next(f for f in history.DEPRECATED_FORMS if f.key == "token-claim-link")
    assert link.documented_in("1.5")
    assert not link.documented_in("1.9")
    assert not link.documented_in("1.3")


def test_endpoints_no_version_has_are_named() -> None:
    assert history.foreign_form_of("api.nemovideo.ai", "/v1/videos") is not None
    assert history.foreign_form_of("mega-api-prod.nemovideo.ai", "/api/v1/generate") is not None
    assert history.foreign_form_of("mega-api-prod.nemovideo.ai", contract.PATH_CREDITS) is None
