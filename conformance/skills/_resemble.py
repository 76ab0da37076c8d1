"""Which guide version a document most resembles.

Each marker a document shows sets a lower bound (the version that introduced it) or an upper
bound (the last version that documented a form it uses). A document with calls and no
attribution headers anywhere is from before 1.5. The answer is the latest version within the
bounds; when a copy mixes forms and the bounds cross, the upper bound (the oldest form it still
uses) wins.
"""

from __future__ import annotations

import re

from nemokit import contract, history

__all__ = ["resemble"]

_LOWER: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(re.escape(contract.PATH_CLAIM_TOKEN) + r"|claim_token|\bclm_"), "1.9"),
    (re.compile(r"revocable|be revoked|Settings → API Tokens"), "1.7"),
    (re.compile(r"skill_name=|skill_version="), "1.5"),
    (re.compile(r"X-Skill-(?:Source|Version|Platform)", re.I), "1.5"),
    (re.compile(r"/workspace/claim\?token="), "1.4"),
    (re.compile(r"\"user_id\"\s*:\s*\"me\""), "1.3"),
    (re.compile(r"NEMO_WEB_URL|\$\{?WEB\b"), "1.1"),
    (re.compile(r"/nemo_agent/me/"), "1.0"),
)


def resemble(text: str, deprecated: list[history.DeprecatedForm], *, has_calls: bool) -> str:
    order = [g.version for g in history.GUIDE_VERSIONS]
    lower = 0
    for pattern, version in _LOWER:
        if pattern.search(text):
            lower = max(lower, history.guide_index(version))
    upper = len(order) - 1
    for form in deprecated:
        upper = min(upper, history.guide_index(form.until))
    if has_calls and not re.search(r"X-Skill-(?:Source|Version|Platform)", text, re.I):
        upper = min(upper, history.guide_index("1.4"))
    if re.search(r"git remote|remote get-url", text, re.I):
        upper = min(upper, history.guide_index("1.5"))  # 1.7 stopped reading git remotes
    if re.search(r"[?&]\w*token=", text):  # a link with the API token: before the claim token
        upper = min(upper, history.guide_index("1.7"))
    # Within the bounds the latest version; a copy that mixes forms (the bounds cross): the
    # oldest form it still uses says more than a newer word.
    return order[upper]
