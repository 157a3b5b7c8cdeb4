"""Every reference the project makes to one of its own files or rule sections exists.

Scanned: every file git tracks or would track (untracked, not ignored) whose name ends in .sql,
.yml, .yaml, .py, .md, .toml, .sh, .cfg or .txt, the Makefile, .ci/run, .sqlfluff, and the help
of `lead-funnel` and of every subcommand, rendered in-process from the argparse parser. The
dbt docs site is made from the SQL (model code and header comments), the YAML descriptions
and the doc blocks of models/*.md, so scanning those covers its pages too.

A reference is
- a path under docs/, models/, macros/, scripts/, seeds/, analyses/, tests/, src/,
  orchestration/, profiles/ (globs, `<placeholder>` parts and `{a,b}` alternatives must match
  at least one file), or README.md, BENCHMARKS.md, CHANGELOG.md;
- a Markdown link `[text](target)` to a relative target;
- an anchor `#slug` after a Markdown path (GitHub's heading slugs of the target file);
- a section `§N`: every § in the project cites docs/funnel_rules.md, whose `## N.` headings
  are the sections (a `§` not followed by a number cannot be resolved and fails too).
Any mention of the rules contract that is not in the repository (S-P-E-C, the file the rules
were first written in) fails: users do not have it.

Nothing is skipped silently: the two lists below say what is not checked, and why, and are
themselves checked.
"""

from __future__ import annotations

import argparse
import functools
import glob
import itertools
import re
import subprocess
from pathlib import Path

import pytest

from lead_funnel.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
RULES = "docs/funnel_rules.md"

SUFFIXES = {".sql", ".yml", ".yaml", ".py", ".md", ".toml", ".sh", ".cfg", ".txt"}
NAMES = {"Makefile", "run", ".sqlfluff"}

# Paths in test code that name files of a throwaway project the test creates itself, not
# files of this repository: (file, reference) -> why.
NOT_REPO_PATHS = {
    ("tests/python/test_py_stamps.py", "models/staging/a.sql"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "models/staging/b.sql"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "models/staging/c.sql"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "macros/m.sql"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "seeds/s.csv"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "macros/__pycache__"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "macros/__pycache__/x.pyc"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "tests/generic/t.sql"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "tests/python/test_x.py"): "a temporary project's file",
    ("tests/python/test_py_stamps.py", "profiles/.user.yml"): "a temporary project's file",
}
# This file: its examples of broken references are broken on purpose (the checker's own test
# below feeds them to it).
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()

TOP_DIRS = "docs|models|macros|scripts|seeds|analyses|tests|src|orchestration|profiles"
PATH_RE = re.compile(
    rf"(?<![\w/.\-~$])((?:{TOP_DIRS})/[\w.*<>{{}},/\-]*[\w*>}}/]|(?:README|BENCHMARKS|CHANGELOG)\.md)"
    r"(#[\w\-]+)?")
LINK_RE = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
SECTION_RE = re.compile(r"§(\d+)?")
# Built from parts so that this file does not mention it itself.
CONTRACT_RE = re.compile(r"\b" + "SP" + r"EC\b")


def project_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    return sorted(name for name in set(listed)
                  if (ROOT / name).is_file()
                  and (Path(name).suffix in SUFFIXES or Path(name).name in NAMES)
                  and not name.startswith("tests/fixtures/") and name != SELF)


def cli_help_texts() -> dict[str, str]:
    parser = build_parser()
    texts = {"lead-funnel --help": parser.format_help()}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                texts[f"lead-funnel {name} --help"] = subparser.format_help()
    return texts


def texts() -> dict[str, str]:
    found = {name: (ROOT / name).read_text(encoding="utf-8") for name in project_files()}
    found.update(cli_help_texts())
    return found


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@functools.lru_cache(maxsize=None)
def anchors(markdown_file: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    in_code = False
    for line in markdown_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        match = re.match(r"#{1,6} (.+)", line)
        if match and not in_code:
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            result.add(base if count == 0 else f"{base}-{count}")
    return result


def rule_sections() -> set[int]:
    text = (ROOT / RULES).read_text(encoding="utf-8")
    return {int(number) for number in re.findall(r"^## (\d+)\. ", text, flags=re.M)}


def expand(reference: str) -> list[str]:
    """`{a,b}` alternatives expanded, `<placeholder>` parts as globs."""
    parts = re.split(r"(\{[^}]*\})", reference)
    options = [part[1:-1].split(",") if part.startswith("{") else [part] for part in parts]
    return [re.sub(r"<[^>]*>", "*", "".join(choice)) for choice in itertools.product(*options)]


def path_exists(reference: str) -> bool:
    for candidate in expand(reference.rstrip("/")):
        if any(ch in candidate for ch in "*?["):
            if not glob.glob(str(ROOT / candidate), recursive=True):
                return False
        elif not (ROOT / candidate).exists():
            return False
    return True


def broken_references(name: str, text: str, sections: set[int]) -> list[str]:
    problems = []
    for match in CONTRACT_RE.finditer(text):
        problems.append(f"names a rules file the repository does not ship: "
                        f"{text[max(0, match.start() - 30):match.end() + 10]!r}")
    for match in SECTION_RE.finditer(text):
        number = match.group(1)
        if number is None or int(number) not in sections:
            problems.append(f"{match.group(0)!r}: {RULES} has sections {sorted(sections)}")
    for match in PATH_RE.finditer(text):
        reference, anchor = match.group(1).rstrip("/.,") or match.group(1), match.group(2)
        if (name, reference) in NOT_REPO_PATHS:
            continue
        if not path_exists(reference):
            problems.append(f"{reference}: no such file or directory")
        elif anchor and reference.endswith(".md"):
            problems.extend(anchor_problem(reference, ROOT / reference, anchor))
    if name.endswith(".md"):
        for match in LINK_RE.finditer(text):
            problems.extend(link_problem(name, match.group(1)))
    return problems


def anchor_problem(reference: str, target: Path, anchor: str) -> list[str]:
    if anchor[1:] not in anchors(target):
        return [f"{reference}{anchor}: no such heading in {reference}"]
    return []


def link_problem(name: str, target: str) -> list[str]:
    if re.match(r"[a-z]+:", target) or PATH_RE.fullmatch(target):  # https:, or scanned as a path
        return []
    path, _, anchor = target.partition("#")
    resolved = (ROOT / name).parent / path if path else ROOT / name
    relative = resolved.resolve().relative_to(ROOT).as_posix() if path else name
    if path and not resolved.exists():
        return [f"link to {target}: no such file"]
    if anchor and relative.endswith(".md"):
        return anchor_problem(relative, resolved, "#" + anchor)
    return []


def test_every_reference_names_a_file_and_section_that_exist() -> None:
    sections = rule_sections()
    assert sections == set(range(1, max(sections) + 1)), f"{RULES} numbers its sections {sections}"
    problems = {name: found for name, text in texts().items()
                if (found := broken_references(name, text, sections))}
    assert not problems, "\n".join(f"{name}: {problem}" for name, found in problems.items()
                                   for problem in found)


def test_the_scan_reads_every_kind_of_source() -> None:
    # The scan is not vacuous: it reads each kind of text the rules are cited in, and finds
    # references there.
    scanned = texts()
    for needle in ("models/marts/lead_stages.sql", "dbt_project.yml", "Makefile", "README.md",
                   RULES, "src/lead_funnel/cli.py", "lead-funnel load --help"):
        assert needle in scanned, needle
    assert "§" in scanned["models/marts/lead_stages.sql"]
    assert PATH_RE.search(scanned["lead-funnel load --help"])


@pytest.mark.parametrize(("text", "expected"), [
    ("see docs/funnel_rules.md §3", []),
    ("see docs/funnel_rules.md §99", ["'§99'"]),
    ("see § \"Running it daily\"", ["'§'"]),
    ("docs/no_such_file.md", ["docs/no_such_file.md"]),
    ("models/marts/*.sql and macros/{scoring,cross_db}/", []),
    ("models/{marts,nowhere}/", ["models/{marts,nowhere}"]),
    ("docs/funnel_rules.md#4-scoring", []),
    ("docs/funnel_rules.md#no-such-heading", ["no such heading"]),
    ("[rules](docs/funnel_rules.md#2-raw-source-contract)", []),
    ("[gone](docs/gone.md)", ["docs/gone.md: no such file"]),
    ("[gone](gone.md#top)", ["link to gone.md#top"]),
    ("the " + "SP" + "EC.md file", ["does not ship"]),
    ("https://www.example.com/docs/getting-started", []),
])
def test_the_checker_finds_each_kind_of_broken_reference(text: str, expected: list[str]) -> None:
    problems = broken_references("README.md", text, rule_sections())
    assert len(problems) == len(expected), problems
    for problem, fragment in zip(problems, expected):
        assert fragment in problem, (problem, fragment)


def test_exemptions_are_still_needed() -> None:
    scanned = texts()
    stale = [key for key in NOT_REPO_PATHS if key[1] not in scanned.get(key[0], "")]
    assert not stale, f"remove {stale} from NOT_REPO_PATHS"
