#!/usr/bin/env python3
"""Fails when a source includes a header of a layer it must not know: core sees only core, gateway core and gateway,
ui core and ui (the gateway reaches the console through ui/gatewaycontroller.h, implemented in app), app everything.
Includes are written from the project root, so the first path segment names the layer.

    check.py PROJECT_ROOT
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
allowed = {"core": {"core"}, "gateway": {"core", "gateway"}, "ui": {"core", "ui"}, "app": {"core", "gateway", "ui", "app"}}
include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
problems = []
for layer, may in allowed.items():
    for path in sorted((root / layer).rglob("*")):
        if path.suffix not in (".cpp", ".h"):
            continue
        for name in include.findall(path.read_text(encoding="utf-8")):
            if name.endswith(".moc"):
                continue
            first = name.split("/")[0]
            if first not in allowed:
                problems.append(f"{path.relative_to(root)}: \"{name}\" is not written from the project root")
            elif first not in may:
                problems.append(f"{path.relative_to(root)}: {layer} must not include {name}")
for p in problems:
    print(p)
print(f"{len(problems)} layering problems")
sys.exit(1 if problems else 0)
