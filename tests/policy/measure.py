"""The rights guard's rates per ground and per language over the two corpora, as Markdown tables.

Run `python -m tests.policy.measure` from the repository root; docs/rights.md quotes its output.
"""

from __future__ import annotations

from collections import Counter

from fairwatch.policy import check_text
from tests.policy.corpus_data import allowed, forbidden


def tables() -> tuple[list[str], bool]:
    """Markdown lines (by ground, by language) and whether every rate is 100 %."""
    refused: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for case in forbidden():
        violation = check_text(case.text)
        ok = violation is not None and violation.ground == case.ground
        for key in (("ground", case.ground), ("lang", case.lang)):
            total[key] += 1
            refused[key] += ok
    passed: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for safe in allowed():
        seen[safe.lang] += 1
        passed[safe.lang] += check_text(safe.text) is None
    lines = ["| Ground | Forbidden refused with this ground |", "|---|---|"]
    grounds = sorted(g for kind, g in total if kind == "ground")
    lines += [f"| `{g}` | {refused['ground', g]}/{total['ground', g]} |" for g in grounds]
    lines += ["", "| Language | Forbidden refused | Allowed accepted |", "|---|---|---|"]
    langs = sorted({lang for kind, lang in total if kind == "lang"} | set(seen))
    lines += [
        f"| {lang} | {refused['lang', lang]}/{total['lang', lang]} | {passed[lang]}/{seen[lang]} |"
        for lang in langs
    ]
    n_refused = sum(refused[k] for k in total if k[0] == "lang")
    n_forbidden = sum(total[k] for k in total if k[0] == "lang")
    lines += [
        f"| **all** | **{n_refused}/{n_forbidden}** | **{sum(passed.values())}/{sum(seen.values())}** |"
    ]
    perfect = n_refused == n_forbidden and passed == seen
    return lines, perfect


if __name__ == "__main__":
    print("\n".join(tables()[0]))
