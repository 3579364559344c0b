"""The rules run on plain data alone: no Telegram (nor database) module is needed to decide."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Builds a message as plain data, classifies it and decides, with telegram and sqlalchemy
# made unimportable; prints the fate and the effects of two decisions.
SCRIPT = """
import json, sys

class Forbidden:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("telegram", "sqlalchemy"):
            raise ImportError(f"{name} is not to be imported to decide")
        return None

sys.meta_path.insert(0, Forbidden())

from datetime import UTC, datetime

from policies.calendar import quiet_status
from policies.classifier import classify
from policies.decide import Situation, decide
from policies.features import acks, holding, reminders, rollcalls
from policies.group_policy import GroupPolicy
from policies.message import ChatKind, ChatMessage, ChatRef, Person

policy = GroupPolicy()
group = ChatRef(-100123, ChatKind.SUPERGROUP, "青石镇工作群")
features = [
    (acks.RULES, acks.AcksState()),
    (rollcalls.RULES, rollcalls.RollcallsState()),
    (holding.RULES, holding.HoldingState()),
    (reminders.RULES, None),
]
seen = []
for text, now in (
    ("明天上午九点在镇政府三楼开防汛会", datetime(2026, 11, 18, 15, 10, tzinfo=UTC)),
    ("请各村十分钟内回复收到", datetime(2026, 11, 18, 2, 0, tzinfo=UTC)),
):
    message = ChatMessage(group, 7, now, sender=Person(42, "李明"), text=text)
    situation = Situation(message, classify(text, now), policy, quiet_status(policy, now), now)
    decision = decide(situation, features)
    seen.append([decision.fate, [type(effect).__name__ for effect in decision.effects]])
assert "telegram" not in sys.modules and "sqlalchemy" not in sys.modules
print(json.dumps(seen))
"""


def test_classify_and_decide_need_no_telegram_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    night, work_time = json.loads(done.stdout)
    assert night == ["held", ["Hold", "Tell"]]
    assert work_time == ["kept", ["AttachAckButton", "RemindRule"]]
