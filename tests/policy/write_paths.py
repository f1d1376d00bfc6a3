"""Every write path that takes a name or a label, as a function `text -> refusal message or None`.

Each function goes through the same code the path runs (the config loaders, the silence parser, the access
checks behind the CLI and the console); `test_write_paths.py` also sends cases through the real CLI and HTTP.
`python -m tests.policy.write_paths` prints the per-path rates over a sample of the corpora (docs/rights.md).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from fairwatch.access import NAME_RE as ACCOUNT_NAME
from fairwatch.access import check_new_name
from fairwatch.config import load_site
from fairwatch.errors import ConfigError, InvalidInput
from fairwatch.notify import parse_notify
from fairwatch.notify.config import NAME_RE as RECEIVER_NAME
from fairwatch.notify.silences import parse_silence
from fairwatch.phases.config import PHASE_ID, parse_phases

NOW = 1_783_000_000.0
SITE = """\
site: {{id: fair, name: Fair, timezone: Europe/London, plan: {{width: 100, height: 50}}}}
zones:
  - {{id: a, name: {name}, polygon: [[0, 0], [40, 0], [40, 40], [0, 40]], capacity: 100}}
"""
PHASES = "phases:\n  - {{id: {name}, rules: none.yaml, starts: '2026-07-04T12:00:00+01:00'}}\n"
RECEIVER = "receivers:\n  - {{name: {name}, webhook: {{url: 'http://127.0.0.1:9/hook'}}}}\nroutes: []\n"
TEMPLATE = (
    "receivers:\n  - name: ops\n    webhook: {{url: 'http://127.0.0.1:9/hook'}}\n"
    "    templates: {{webhook: {{body: {name}}}}}\nroutes: []\n"
)


def quoted(text: str) -> str:
    """`text` as a YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def as_id(text: str, pattern: re.Pattern[str]) -> str | None:
    """`text` spelled as an id (spaces as '-'), or None when it has characters the path's own id pattern
    refuses before the guard reads it (case is kept: lowering would change what Base64 spells)."""
    spelled = re.sub(r"\s+", "-", text.strip())
    return spelled if pattern.fullmatch(spelled) else None


def _config(load: Callable[[], object]) -> str | None:
    try:
        load()
    except ConfigError as exc:
        return "; ".join(exc.messages)
    return None


def site_zone_name(text: str) -> str | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "site.yaml"
        path.write_text(SITE.format(name=quoted(text)), encoding="utf-8")
        return _config(lambda: load_site(path))


def phase_id(text: str) -> str | None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "none.yaml").write_text("rules: []\n")
        found = _config(lambda: parse_phases(PHASES.format(name=quoted(text)), "phases.yaml", Path(tmp)))
    return found


def receiver_name(text: str) -> str | None:
    return _config(lambda: parse_notify(RECEIVER.format(name=quoted(text)), "notify.yaml", {}))


def template(text: str) -> str | None:
    return _config(lambda: parse_notify(TEMPLATE.format(name=quoted(text)), "notify.yaml", {}))


def silence_reason(text: str) -> str | None:
    body = {"matchers": {"zone": "a"}, "ends_at": "2026-07-03T00:00:00Z", "reason": text}
    try:
        parse_silence(body, "ops", NOW)
    except InvalidInput as exc:
        return "; ".join(p.message for p in exc.problems)
    return None


def account_name(text: str) -> str | None:
    """Token create (CLI) and user create (CLI, console) share this check."""
    try:
        check_new_name(text)
    except InvalidInput as exc:
        return "; ".join(p.message for p in exc.problems)
    return None


# (path, check, how a corpus text is spelled on that path; None where the path takes ids only and the
# text has no spelling in its characters)
PATHS: list[tuple[str, Callable[[str], str | None], Callable[[str], str | None]]] = [
    ("site file: zone name", site_zone_name, lambda t: t),
    ("phases file: phase id", phase_id, lambda t: as_id(t, PHASE_ID)),
    ("notify file: receiver name", receiver_name, lambda t: as_id(t, RECEIVER_NAME)),
    ("notify file: template", template, lambda t: t if "{" not in t else None),
    ("silence API: reason", silence_reason, lambda t: t),
    ("token / user create: name", account_name, lambda t: as_id(t, ACCOUNT_NAME)),
]


def sample(items: list[str], n: int) -> list[str]:
    """Every k-th item, so that each language and obfuscation keeps its share."""
    step = max(1, len(items) // n)
    return items[::step][:n]


def rates(n: int = 400) -> list[str]:
    """A Markdown table: forbidden refused and allowed accepted per write path over `n` texts of each corpus
    (id paths: those texts that can be written as the path's ids at all)."""
    from tests.policy.corpus_data import allowed, forbidden

    bad = sample([f.text for f in forbidden()], n)
    good = sample([a.text for a in allowed()], n)
    lines = ["| Write path | Forbidden refused | Allowed accepted |", "|---|---|---|"]
    for name, check, spell in PATHS:
        bad_texts = [s for s in map(spell, bad) if s]
        good_texts = [s for s in map(spell, good) if s]
        refused = sum(check(t) is not None for t in bad_texts)
        accepted = sum(check(t) is None for t in good_texts)
        lines.append(f"| {name} | {refused}/{len(bad_texts)} | {accepted}/{len(good_texts)} |")
    return lines


if __name__ == "__main__":
    print("\n".join(rates()))
