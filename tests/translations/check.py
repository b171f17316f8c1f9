#!/usr/bin/env python3
"""Fails when the sources hold a string the .ts files do not have (or the other way round), and when a shipped
language has unfinished entries: lupdate is run over the sources into copies of the .ts files, which must come out
unchanged.

    check.py LUPDATE CMAKE GENERATE_SCRIPT PROJECT_CMAKE OPTIONS TS_FILE...
"""
import difflib
import pathlib
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

lupdate, cmake, generate, project_cmake, options, *ts_files = sys.argv[1:]
failed = False
with tempfile.TemporaryDirectory() as tmp:
    project = pathlib.Path(tmp, "project.json")
    subprocess.run([cmake, f"-DIN_FILE={project_cmake}", f"-DOUT_FILE={project}", "-P", generate], check=True)
    for ts in ts_files:
        copy = pathlib.Path(tmp, pathlib.Path(ts).name)
        shutil.copy(ts, copy)
        run = subprocess.run([lupdate, "-project", str(project), *options.split(";"), "-ts", str(copy)],
                             capture_output=True, text=True)
        if run.returncode != 0:
            print(f"lupdate failed on {ts}:\n{run.stdout}{run.stderr}")
            failed = True
            continue
        before = pathlib.Path(ts).read_text(encoding="utf-8").splitlines()
        after = copy.read_text(encoding="utf-8").splitlines()
        if before != after:
            failed = True
            print(f"{ts} is not up to date with the sources; run: cmake --build build --target update_translations,"
                  " translate what is new, and commit. The difference:")
            sys.stdout.writelines(l + "\n" for l in list(difflib.unified_diff(before, after, ts, "sources", n=1))[:60])
        root = ET.parse(ts).getroot()
        for context in root.iter("context"):
            for message in context.iter("message"):
                translation = message.find("translation")
                kind = translation.get("type")
                text = "".join(translation.itertext()).strip()
                if kind in ("unfinished", "vanished", "obsolete") or not text:
                    failed = True
                    print(f"{ts}: {context.findtext('name')}: {kind or 'empty'}: {message.findtext('source')!r}")
        print(f"{ts}: {sum(1 for _ in root.iter('message'))} messages checked")
sys.exit(1 if failed else 0)
