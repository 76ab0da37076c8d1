"""Scenarios every profile runs first, as explicit hypothesis examples, per rule.

A failure found once at the ``thorough`` profile is pinned here so that ``ci`` (10
derandomized examples) catches it again. Each entry says where it came from.
"""

from __future__ import annotations

from conformance.drivers._protocol import Step

from ._model import Scenario, ServerVariant

__all__ = ["EXAMPLES", "examples_for"]

_UPLOAD = Step("upload", files=("clip.mp4",))

#: Found by ``nemokit conformance --profile thorough --backend both`` (S9): for "你好" the mock
#: answers with the timeline and the tip "拖拽时间线上的片段可以调整顺序"; a client that took the
#: tip for an order sent the fragment "移动时间线上的片段可" as a turn of its own, and showed the
#: reply twice when that turn answered the same.
TIP_ZH = Scenario(
    ServerVariant(seed=0), (_UPLOAD, Step("say", "trim the pauses"), Step("say", "你好"))
)
#: The English tip "Drag the clips on the timeline to fine-tune the order." after an edit (seed 1).
TIP_EN = Scenario(ServerVariant(seed=1), (_UPLOAD, Step("say", "trim the pauses")))

EXAMPLES: dict[str, tuple[Scenario, ...]] = {
    "S9": (TIP_ZH,),
    "T1": (TIP_ZH, TIP_EN),
    "T4": (TIP_ZH, TIP_EN),
    "T5": (TIP_ZH, TIP_EN),
}


def examples_for(rule_id: str) -> tuple[Scenario, ...]:
    """The pinned scenarios of ``rule_id`` (none for most rules)."""
    return EXAMPLES.get(rule_id.upper(), ())
