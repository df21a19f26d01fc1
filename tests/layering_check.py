#!/usr/bin/env python3
"""Fails when a host library includes a library above it.

The host's libraries form a stack (host/CMakeLists.txt, docs/architecture.md):
each folder of host/ may include its own headers and those of the folders
below it, never one above. Front ends (cli, worker) may include any library
but are included by none. The SDK includes nothing of the host.

usage: layering_check.py SOURCE_DIR
"""
import pathlib
import re
import sys

STACK = ["core", "plugin_host", "policy", "io", "tools", "analysis", "service", "http"]
FRONT_ENDS = {"cli", "worker"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    host = root / "host"
    problems = []
    folders = {p.name for p in host.iterdir() if p.is_dir()}
    unknown = folders - set(STACK) - FRONT_ENDS
    for name in sorted(unknown):
        problems.append(f"host/{name}/: a folder that is neither a library of the stack nor a front end")
    for path in sorted(host.rglob("*")):
        if path.suffix not in (".h", ".cc") or not path.is_file():
            continue
        own = path.relative_to(host).parts[0]
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = m.group(1)
            lib = target.split("/", 1)[0] if "/" in target else None
            where = f"{path.relative_to(root)}:{lineno}"
            if lib is None:
                # Unprefixed includes are allowed only inside a front end for its own files.
                if own in FRONT_ENDS and (path.parent / target).exists():
                    continue
                problems.append(f'{where}: #include "{target}" is not prefixed with its library')
                continue
            if lib in FRONT_ENDS:
                if lib != own:
                    problems.append(f'{where}: #include "{target}": nothing includes a front end')
                continue
            if lib not in STACK:
                problems.append(f'{where}: #include "{target}": no library "{lib}"')
                continue
            if own in STACK and STACK.index(lib) > STACK.index(own):
                problems.append(f'{where}: host/{own} includes "{target}", a library above it '
                                f'({" < ".join(STACK)})')
    for path in sorted((root / "sdk").rglob("*")):
        if path.suffix in (".h", ".hpp", ".c", ".cc") and path.is_file():
            for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if m and m.group(1).split("/", 1)[0] in STACK + sorted(FRONT_ENDS):
                    problems.append(f'{path.relative_to(root)}:{lineno}: the SDK includes host code "{m.group(1)}"')
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
