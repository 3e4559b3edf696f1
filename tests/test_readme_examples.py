"""README's Python examples run, and print what README says they print."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_examples_and_they_run():
    blocks = python_blocks()
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    world = namespace["world"]
    assert world.now >= 6008
    assert namespace["replies"][0].response.error_code.name == "MEMBER_ID_REQUIRED"


def test_readme_quick_start_claims_match_the_simulation():
    from kafkalab.sim import World

    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"])
    assert world.run_until_stable("g") == 6008
    assert world.assignments("g")["c1"] == [("orders", 0), ("orders", 1)]
    text = README.read_text(encoding="utf-8")
    assert "-> 6008" in text and "{'c1': [('orders', 0), ('orders', 1)]" in text


def test_readme_consumer_protocol_claim_matches_the_simulation():
    from kafkalab.sim import World

    world = World(topics={"orders": 6})
    world.add_consumers(3, group="g", topics=["orders"], group_protocol="consumer")
    assert world.run_until_stable("g") == 5104
    assert "-> 5104" in README.read_text(encoding="utf-8")
