#!/usr/bin/env python3
"""Generate the single headers of single_include/perfcast/ from include/perfcast/.

Two editions, each from its umbrella header:
  include/perfcast/perfcast.hpp -> single_include/perfcast/perfcast.hpp  (the whole library)
  include/perfcast/core.hpp     -> single_include/perfcast/core.hpp      (the std-only core)
The core edition is refused when it would inline a header outside include/perfcast/core/ or
include anything but the standard library.

Starting from an umbrella header, every
``#include "..."`` (and ``#include <perfcast/...>``) that resolves to a file
under include/perfcast/ is replaced by that file's contents, each file once, in
first-inclusion order. The ``#pragma once`` of inlined files is dropped; the
output has a single one at the top. Other ``<...>`` includes are left as they are.

    python3 tools/amalgamate.py                    # (re)write the single headers
    python3 tools/amalgamate.py --check            # exit 1 if a committed one is stale
    python3 tools/amalgamate.py --line-directives  # emit #line directives (for debugging)

Standard library only.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

class Edition:
    """One single header: its umbrella, its output, and (for the core) the folder it must stay in."""

    def __init__(self, umbrella: str, output: str, title: str, only_under: str | None) -> None:
        self.umbrella = Path(umbrella)
        self.output = Path(output)
        self.title = title
        self.only_under = only_under  # every inlined header under this folder, std includes only


EDITIONS = [
    Edition("include/perfcast/perfcast.hpp", "single_include/perfcast/perfcast.hpp", "single-header edition", None),
    Edition("include/perfcast/core.hpp", "single_include/perfcast/core.hpp",
            "core edition: the compile-time core, standard library only", "include/perfcast/core"),
]
STD_INCLUDE_RE = re.compile(r"^[a-z_]+$")  # <vector>, <string_view>, <type_traits>, ...

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*(?P<open>["<])(?P<path>[^">]+)[">]')
PRAGMA_ONCE_RE = re.compile(r"^\s*#\s*pragma\s+once\b")
IF_RE = re.compile(r"^\s*#\s*if(n?def)?\b")
ENDIF_RE = re.compile(r"^\s*#\s*endif\b")


class AmalgamationError(Exception):
    pass


def project_version(root: Path) -> str:
    """The VERSION of project(perfcast ...) in CMakeLists.txt, or '' if not found."""
    try:
        text = (root / "CMakeLists.txt").read_text(encoding="utf-8")
    except OSError:
        return ""
    m = re.search(r"project\s*\(\s*perfcast\b[^)]*?\bVERSION\s+([0-9][0-9.]*)", text, re.S)
    return m.group(1) if m else ""


def licence_line(root: Path) -> str:
    """The first non-empty line of the LICENSE file, if there is one."""
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "COPYING"):
        path = root / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    return f"Licence: {line.strip()} (see {name})"
    return "Licence: see the LICENSE file of the perfcast project"


class Amalgamator:
    def __init__(self, root: Path, line_directives: bool, edition: Edition) -> None:
        self.edition = edition
        self.root = root
        self.include_root = root / "include"
        self.library_root = root / "include" / "perfcast"
        self.line_directives = line_directives
        self.seen: set[Path] = set()
        self.order: list[Path] = []
        self.warnings: list[str] = []
        self.out: list[str] = []

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def resolve(self, including: Path, spelled: str, quoted: bool) -> Path | None:
        """The file under include/perfcast/ that an include names, if any (like a
        compiler with -I include: the including file's directory first for "...")."""
        candidates = []
        if quoted:
            candidates.append(including.parent / spelled)
        candidates.append(self.include_root / spelled)
        for candidate in candidates:
            candidate = candidate.resolve()
            if candidate.is_file() and candidate.is_relative_to(self.library_root):
                return candidate
        return None

    def emit_file(self, path: Path, conditional_depth: int) -> None:
        self.seen.add(path)
        self.order.append(path)
        rel = self.rel(path)
        if self.edition.only_under and not path.is_relative_to(self.root / self.edition.only_under) \
                and path != (self.root / self.edition.umbrella).resolve():
            raise AmalgamationError(f"{rel} is outside {self.edition.only_under}/ but reached from {self.edition.umbrella}")
        if conditional_depth:
            self.warnings.append(
                f"{rel} is first included inside #if/#ifdef; it is inlined there only once")
        self.out.append(f"// ---- begin {rel} ----\n")
        if self.line_directives:
            self.out.append(f'#line 1 "{rel}"\n')
        depth = 0
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if IF_RE.match(line):
                depth += 1
            elif ENDIF_RE.match(line):
                depth -= 1
            if PRAGMA_ONCE_RE.match(line):
                if self.line_directives:
                    self.out.append("\n")  # keep line numbers aligned
                continue
            m = INCLUDE_RE.match(line)
            if m:
                quoted = m.group("open") == '"'
                spelled = m.group("path")
                target = self.resolve(path, spelled, quoted)
                if target is None and quoted:
                    raise AmalgamationError(
                        f'{rel}:{number}: #include "{spelled}" does not resolve to a file under include/perfcast/')
                if target is None and self.edition.only_under and not STD_INCLUDE_RE.match(spelled):
                    raise AmalgamationError(
                        f"{rel}:{number}: #include <{spelled}> is not the standard library, "
                        f"which is all {self.edition.umbrella} may need")
                if target is not None:
                    if target in self.seen:
                        self.out.append(f"// {line.strip()}: already inlined above\n")
                    else:
                        self.emit_file(target, conditional_depth + depth)
                        if self.line_directives:
                            self.out.append(f'#line {number + 1} "{rel}"\n')
                    continue
            self.out.append(line + "\n")
        self.out.append(f"// ---- end {rel} ----\n")

    def run(self) -> str:
        umbrella = (self.root / self.edition.umbrella).resolve()
        if not umbrella.is_file():
            raise AmalgamationError(f"{self.edition.umbrella} not found (looked under {self.root})")
        version = project_version(self.root)
        header = [
            "// DO NOT MODIFY - GENERATED by tools/amalgamate.py from include/perfcast/\n",
            f"// perfcast{(' ' + version) if version else ''} - {self.edition.title}\n",
            f"// {licence_line(self.root)}\n",
            "#pragma once\n",
            "\n",
        ]
        self.emit_file(umbrella, 0)
        scope = self.root / (self.edition.only_under or "include/perfcast")
        all_headers = {p.resolve() for p in scope.rglob("*.hpp")}
        for missing in sorted(all_headers - self.seen):
            self.warnings.append(
                f"{self.rel(missing)} is not reachable from {self.edition.umbrella} and is not in its single header")
        return "".join(header + self.out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a committed single header differs from a fresh one")
    parser.add_argument("--line-directives", action="store_true",
                        help="emit #line directives pointing back to include/perfcast/")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    status = 0
    for edition in EDITIONS:
        status = max(status, one_edition(root, edition, args))
    return status


def one_edition(root: Path, edition: Edition, args: argparse.Namespace) -> int:
    output = (root / edition.output).resolve()
    shown = edition.output.as_posix()
    amalgamator = Amalgamator(root, args.line_directives, edition)
    try:
        text = amalgamator.run()
    except (AmalgamationError, OSError, UnicodeDecodeError) as error:
        print(f"amalgamate.py: error: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        for warning in amalgamator.warnings:
            print(f"amalgamate.py: warning: {warning}", file=sys.stderr)

    if args.check:
        try:
            committed = output.read_text(encoding="utf-8")
        except FileNotFoundError:
            print(f"amalgamate.py: {shown} is missing; generate it with: python3 tools/amalgamate.py",
                  file=sys.stderr)
            return 1
        if committed != text:
            diff = list(difflib.unified_diff(
                committed.splitlines(keepends=True), text.splitlines(keepends=True),
                fromfile=f"{shown} (committed)", tofile=f"{shown} (from include/perfcast/)"))
            print(f"amalgamate.py: {shown} is STALE: it differs from what tools/amalgamate.py generates "
                  f"from include/perfcast/.\nRegenerate it with `python3 tools/amalgamate.py` "
                  f"(or `cmake --build <build> --target amalgamate`) and commit the result.",
                  file=sys.stderr)
            limit = 60
            sys.stderr.writelines(diff[:limit])
            if len(diff) > limit:
                print(f"... ({len(diff) - limit} more diff lines)", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"amalgamate.py: {shown} is up to date ({len(amalgamator.order)} headers)")
        return 0

    output.parent.mkdir(parents=True, exist_ok=True)
    previous = output.read_text(encoding="utf-8") if output.is_file() else None
    if previous != text:
        output.write_text(text, encoding="utf-8", newline="\n")
    if not args.quiet:
        state = "unchanged" if previous == text else "written"
        print(f"amalgamate.py: {shown} {state} ({len(amalgamator.order)} headers, {text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
