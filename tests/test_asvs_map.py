"""The OWASP ASVS 5.0 map (docs/asvs.md, #16 TEST-1) stays true: every test it cites exists,
every requirement row says how it is covered (tests, a gap to file, or why it does not apply),
and the coverage figure at the top is what the rows add up to."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAP = ROOT / "docs" / "asvs.md"

# | V1.2.3 | L | requirement | our ids | tests | status |
ROW = re.compile(r"^\|\s*(V\d+\.\d+\.\d+)\s*\|(.*)\|\s*$")
CITED = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)`")
FIGURE = re.compile(
    r"Coverage: (\d+) of (\d+) applicable requirements mapped to tests; "
    r"(\d+) gaps; (\d+) not applicable; (\d+) requirements in all\."
)


def collected_names(path: Path) -> set[str]:
    """Test functions and class methods of one file, as pytest names them (no brackets)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    item.name.startswith("test")
                ):
                    names.add(f"{node.name}::{item.name}")
    return names


def rows(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            found.append((match.group(1), [c.strip() for c in match.group(2).split("|")]))
    return found


def status(cells: list[str]) -> str:
    """'tested', 'gap' or 'na' from the last cell; '' when the row says nothing usable."""
    last = cells[-1]
    if last.startswith("not applicable:") and last[len("not applicable:") :].strip():
        return "na"
    if last.startswith("gap:") and last[len("gap:") :].strip():
        return "gap"
    if last == "tested" and CITED.search(cells[-2]):
        return "tested"
    return ""


@pytest.fixture(scope="module")
def text() -> str:
    return MAP.read_text()


def test_the_parser_reads_names_rows_and_statuses(tmp_path):
    sample = tmp_path / "test_x.py"
    sample.write_text(
        "import pytest\n"
        "def test_a(): pass\n"
        "def helper(): pass\n"
        "class TestB:\n    def test_c(self): pass\n    def other(self): pass\n"
        "@pytest.mark.parametrize('x', [1])\ndef test_d(x): pass\n"
    )
    assert collected_names(sample) == {"test_a", "TestB::test_c", "test_d"}
    parsed = rows(
        "| V1.1.1 | 2 | x | INPUT-3 | `tests/a.py::test_a` | tested |\n"
        "| V1.1.2 | 1 | x | — | — | gap: no check |\n"
        "| V1.1.3 | 1 | x | — | — | not applicable: no XML |\n"
        "| V1.1.4 | 1 | x | — | — | tested |\n"
        "| V1.1.5 | 1 | x | — | — | gap: |\n"
    )
    assert [status(cells) for _, cells in parsed] == ["tested", "gap", "na", "", ""]


def test_every_cited_test_exists(text):
    missing = []
    cache: dict[str, set[str]] = {}
    for path, name in CITED.findall(text):
        file = ROOT / path
        if path not in cache:
            cache[path] = collected_names(file) if file.is_file() else set()
        if name not in cache[path]:
            missing.append(f"{path}::{name}")
    assert CITED.search(text), "the map cites no test at all"
    assert missing == [], f"docs/asvs.md cites tests that do not exist: {sorted(set(missing))}"


def test_every_row_is_tested_or_says_why_not(text):
    found = rows(text)
    assert len(found) > 200, "the map lost its requirement rows"
    ids = [asvs_id for asvs_id, _ in found]
    assert len(ids) == len(set(ids)), "an ASVS id appears twice"
    silent = [asvs_id for asvs_id, cells in found if not status(cells)]
    assert silent == [], f"rows without tests, a gap or a not-applicable reason: {silent}"


def test_the_coverage_figure_matches_the_rows(text):
    match = FIGURE.search(text)
    assert match, "docs/asvs.md has no coverage figure at the top"
    assert match.start() < text.index("| V"), "the coverage figure is not above the table"
    statuses = [status(cells) for _, cells in rows(text)]
    tested, gaps, na = (statuses.count(s) for s in ("tested", "gap", "na"))
    stated = tuple(int(g) for g in match.groups())
    assert stated == (tested, tested + gaps, gaps, na, len(statuses))
