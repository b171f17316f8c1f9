#!/usr/bin/env python3
"""Fails when a C++ source or header is not formatted as .clang-format says, naming each file and the first lines
that differ. clang-format 14 (Debian 12's) is the formatter: other versions break some lines differently.
`cmake --build build --target format` rewrites the sources.

    check.py PROJECT_ROOT
"""
import difflib
import pathlib
import shutil
import subprocess
import sys

root = pathlib.Path(sys.argv[1])
formatter = shutil.which("clang-format-14") or shutil.which("clang-format")
if not formatter:
    print("clang-format-14 is not installed (apt install clang-format-14)")
    sys.exit(1)
sources = [p for layer in ("app", "core", "gateway", "ui", "tests") for p in sorted((root / layer).rglob("*"))
           if p.suffix in (".cpp", ".h") and "node_modules" not in p.parts]
bad = 0
for path in sources:
    text = path.read_text(encoding="utf-8")
    formatted = subprocess.run([formatter, "--style=file", f"--assume-filename={path}"], input=text,
                               capture_output=True, text=True, cwd=root, check=True).stdout
    if formatted != text:
        bad += 1
        diff = list(difflib.unified_diff(text.splitlines(), formatted.splitlines(), str(path.relative_to(root)),
                                         "formatted", n=0, lineterm=""))
        print("\n".join(diff[:12]))
print(f"{len(sources)} files checked, {bad} not formatted")
sys.exit(1 if bad else 0)
