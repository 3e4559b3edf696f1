"""The repository's own documentation: nothing cites a document outside the repository, and every
citation of ``docs/classic-protocol.md``, ``docs/real-clients.md`` or ``docs/consumer-protocol.md``
names a section that exists.

Citation conventions (stated in §0 of ``docs/consumer-protocol.md`` and of
``docs/classic-protocol.md``): ``§6.3`` is a section heading (``### 6.3 ...``); ``§6.1.5``, also
written "§6.1 step 5" (or "rule 5"), is step 5 of the numbered list in §6.1; ``§10.3`` is step 3 of
§10, which has no subsections.  A ``§`` reference belongs to the last
``*.md`` file named shortly before it in the same paragraph (so a citation may wrap onto the next
line).  A bare one belongs to the file's *home document*: the first of the three references named
in its module docstring (in the first lines of a file that is not Python), else
``docs/classic-protocol.md``; each reference is its own home.  References that follow the name of
some other document are not checked.  Markdown links to ``*.md`` files must point at existing
files and headings.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CLASSIC = DOCS / "classic-protocol.md"
CLIENTS = DOCS / "real-clients.md"
CONSUMER = DOCS / "consumer-protocol.md"
REFERENCES = (CLASSIC, CLIENTS, CONSUMER)

SUFFIXES = {".py", ".md", ".ipynb", ".toml", ".yml", ".yaml", ".sh", ".cfg", ".txt", ".json"}
SKIP_DIRS = {"out", "build", "dist", "node_modules", "__pycache__"}


def repo_files() -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in SKIP_DIRS and not d.endswith(".egg-info"))
        found += [Path(dirpath) / f for f in sorted(filenames) if Path(f).suffix in SUFFIXES]
    return found


FILES = repo_files()


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- section index

HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", re.MULTILINE)
ANY_HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)
STEP = re.compile(r"^[ \t]*(\d+)\. ", re.MULTILINE)


@cache
def sections(doc: Path) -> dict[str, str]:
    """Section number -> the text from its heading to the next heading of any level."""
    body = text(doc)
    starts = [m.start() for m in ANY_HEADING.finditer(body)] + [len(body)]
    found: dict[str, str] = {}
    for m in HEADING.finditer(body):
        end = next(s for s in starts if s > m.start())
        assert m.group(1) not in found, f"{rel(doc)} numbers two sections {m.group(1)}"
        found[m.group(1)] = body[m.end():end]
    return found


def resolves(doc: Path, ref: str) -> bool:
    index = sections(doc)
    if ref in index:
        return True
    parent, _, step = ref.rpartition(".")
    return parent in index and step in {m.group(1) for m in STEP.finditer(index[parent])}


# --------------------------------------------------------------------------- citations

FORBIDDEN = re.compile(r"kafka-semantics\.md|kip848-semantics\.md|(?<!docs/)\breal-clients\.md")
REF = re.compile(r"§\s?(\d+(?:\.\d+)*)(?:\s*[-–]\s*§?(\d+(?:\.\d+)*))?"
                 r"(?:,?\s(?:steps?|rules?)\s(\d+)(?:\s*[-–]\s*(\d+))?)?")  # "... step N" / "rule N"
MD_NAME = re.compile(r"(?<![\w-])([\w-]+\.md)\b")
TARGETS = {doc.name: doc for doc in REFERENCES}
MODULE_DOCSTRING = re.compile(r'\A(?:\s*#[^\n]*\n)*\s*[rRuU]?("""|\'\'\')(.*?)\1', re.DOTALL)
OPENING = 600  # characters of a file that is not Python searched for its home document


@cache
def home(path: Path) -> Path:
    """The document a bare § in ``path`` cites: the first reference named in its opening."""
    if path in REFERENCES:
        return path
    body = text(path)
    m = MODULE_DOCSTRING.match(body) if path.suffix == ".py" else None
    opening = m.group(2) if m else ("" if path.suffix == ".py" else body[:OPENING])
    named = [n.group(1) for n in MD_NAME.finditer(opening) if n.group(1) in TARGETS]
    return TARGETS[named[0]] if named else CLASSIC


LOOKBACK = 80  # characters before a reference searched for the document it cites


@cache
def citations() -> tuple[tuple[str, int, Path, str], ...]:
    """(file, line number, cited document, section reference) for every § reference."""
    found = []
    for path in FILES:
        default = home(path)
        body = text(path)
        names = [(n.end(), n.group(1)) for n in MD_NAME.finditer(body)]
        for m in REF.finditer(body):
            near = [name for end, name in names
                    if m.start() - LOOKBACK <= end <= m.start() and "\n\n" not in body[end:m.start()]]
            if near and near[-1] not in TARGETS:
                continue  # a section of some other document
            doc = TARGETS[near[-1]] if near else default
            lineno = body.count("\n", 0, m.start()) + 1
            first, last, *steps = m.groups()
            refs = [first, last] + [f"{first}.{step}" for step in steps if step]
            found += [(rel(path), lineno, doc, ref) for ref in refs if ref]
    return tuple(found)


def test_the_documents_exist_and_number_their_sections():
    for doc in REFERENCES:
        assert doc.is_file(), f"{rel(doc)} is missing"
    numbers = sections(CLASSIC)
    for n in range(18):  # §0-§17, the numbering the code and tests were written against
        assert str(n) in numbers, f"docs/classic-protocol.md has no '## {n}. ...' heading"
    assert {f"6.{i}" for i in range(1, 12)} | {"7.1"} <= set(numbers)
    assert not any(n.startswith("10.") for n in numbers), "§10.N means step N of §10: no subsections there"


# The numbering kafkalab.modern and tests/modern were written against: §0-§10 and these subsections.
CONSUMER_SUBSECTIONS = {"0": 1, "1": 3, "2": 6, "3": 4, "4": 5, "5": 6, "7": 4}


def test_the_consumer_protocol_reference_keeps_its_numbering():
    numbers = set(sections(CONSUMER))
    expected = {str(n) for n in range(11)} | {f"{s}.{i}" for s, k in CONSUMER_SUBSECTIONS.items()
                                               for i in range(1, k + 1)}
    assert numbers == expected, f"docs/consumer-protocol.md numbers {sorted(numbers - expected)} " \
                                f"and lacks {sorted(expected - numbers)}"
    assert re.search(r"^## Appendix A\. ", text(CONSUMER), re.MULTILINE), "Appendix A is missing"
    for section, steps in {"2.3": 8, "2.4": 11, "3.3": 4, "10": 7}.items():
        found = {m.group(1) for m in STEP.finditer(sections(CONSUMER)[section])}
        assert {str(i) for i in range(1, steps + 1)} <= found, f"§{section} lost a numbered step"


def test_nothing_cites_documents_outside_the_repository():
    offenders = [f"{rel(path)}:{lineno}: {line.strip()[:120]}"
                 for path in FILES if DOCS not in path.parents and path != Path(__file__).resolve()
                 for lineno, line in enumerate(text(path).splitlines(), 1) if FORBIDDEN.search(line)]
    assert not offenders, ("cite docs/classic-protocol.md, docs/real-clients.md or docs/consumer-protocol.md "
                           "instead:\n" + "\n".join(offenders))


def test_the_repository_cites_every_document():
    outside = [(doc, file) for file, _, doc, _ in citations() if not file.startswith("docs/")]
    assert {doc for doc, _ in outside} == set(REFERENCES)
    assert len(outside) > 100
    assert sum(doc == CONSUMER for doc, _ in outside) > 100


MODERN = ("kafkalab/modern/", "tests/modern/")


def test_the_consumer_protocol_code_cites_its_own_reference():
    """Every file of kafkalab.modern and tests/modern that cites a bare § has docs/consumer-protocol.md
    as its home document, so none of its citations silently falls back to the classic reference."""
    strays = sorted({file for file, _, _, _ in citations() if file.startswith(MODERN)
                     and home(ROOT / file) != CONSUMER})
    assert not strays, "name docs/consumer-protocol.md in the module docstring of:\n" + "\n".join(strays)


def test_every_section_citation_resolves():
    broken = [f"{file}:{lineno}: §{ref} is not a section (or numbered step) of {rel(doc)}"
              for file, lineno, doc, ref in citations() if not resolves(doc, ref)]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("ref, ok", [("6.3", True), ("6.1.5", True), ("6.1.8", False), ("10.6", True),
                                     ("10.7", False), ("6.12", False), ("6.3.4", True), ("18", False)])
def test_resolver_knows_sections_and_steps(ref, ok):
    assert resolves(CLASSIC, ref) is ok


@pytest.mark.parametrize("ref, ok", [("0.1", True), ("2.4", True), ("2.4.11", True), ("2.4.12", False),
                                     ("3.3.4", True), ("5.6", True), ("5.7", False), ("6", True),
                                     ("7.5", False), ("10.7", True), ("11", False)])
def test_resolver_knows_the_consumer_protocol_reference(ref, ok):
    assert resolves(CONSUMER, ref) is ok


# The section sign is escaped so that this file's own scan does not take the examples for citations.
@pytest.mark.parametrize("cited, groups", [("\u00a72.4 steps 4-5", ("2.4", None, "4", "5")),
                                           ("\u00a76, rule 2", ("6", None, "2", None)),
                                           ("\u00a75.2\u20135.4", ("5.2", "5.4", None, None))])
def test_steps_and_ranges_are_part_of_a_citation(cited, groups):
    assert REF.search(cited).groups() == groups


def test_a_bare_section_belongs_to_the_home_document():
    assert home(CONSUMER) == CONSUMER and home(CLIENTS) == CLIENTS
    assert home(ROOT / "kafkalab" / "modern" / "reconcile.py") == CONSUMER
    assert home(ROOT / "tests" / "test_coordinator_join.py") == CLASSIC


def test_cited_kafka_python_bugs_exist():
    bugs = {b.lower() for b in re.findall(r"^### (Bug \d+):", text(CLIENTS), re.MULTILINE)}
    assert bugs == {"bug 1", "bug 2"}
    cited = {m.group(1).lower() for path in FILES
             for m in re.finditer(r"real-clients\.md,? (bug \d+)", text(path), re.IGNORECASE)}
    assert cited == bugs, "each 'docs/real-clients.md bug N' citation must name a '### Bug N:' heading"


# --------------------------------------------------------------------------- links

LINK = re.compile(r"\]\(([^)\s#]*\.md)?(?:#([^)\s]+))?\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(doc: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    in_code = False
    for line in text(doc).splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^#{1,6} (.+)$", line)
        if m:
            base = slug(m.group(1))
            count = seen.get(base, 0)
            result.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
    return result


def test_markdown_links_to_documents_resolve():
    broken = []
    for path in FILES:
        if path.suffix not in {".md", ".ipynb"}:
            continue
        for lineno, line in enumerate(text(path).splitlines(), 1):
            for m in LINK.finditer(line):
                target, anchor = m.groups()
                if not target and not anchor:
                    continue
                if target and "://" in target:
                    continue
                doc = (path.parent / target).resolve() if target else path
                if doc.suffix != ".md":
                    continue
                where = f"{rel(path)}:{lineno}: ({m.group(0)[2:-1]})"
                if not doc.is_file():
                    broken.append(f"{where}: no such file")
                elif anchor and anchor not in anchors(doc):
                    broken.append(f"{where}: no heading with that anchor in {doc.name}")
    assert not broken, "\n".join(broken)
