"""Run the rules again on the values as the reviewer has edited them.

A reviewer who corrects a misread cell wants to know at once whether the sums now hold; findings
that no longer fire are marked as settled by the edit, and new ones are shown.
"""

from __future__ import annotations

from extractor.rules import validate
from extractor.store import finding_key_of
from schemas.results import Finding, Number, Result


def recheck(result: Result, current: dict[str, Number | None], text: str = "") -> tuple[set[str], list[Finding]]:
    """(finding keys of the original findings that no longer fire, findings that are new after the edits)."""
    again = validate(result.with_values(current).values, result.prose_values, result.meta, result.meta.template, text)
    now = {finding_key_of(f) for f in again}
    before = {finding_key_of(f) for f in result.findings if f.category == "report"}
    gone = {k for k in before if k not in now}
    new = [f for f in again if finding_key_of(f) not in before]
    return gone, new
