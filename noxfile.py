"""The README's two commands under every supported Python installed on this machine.

    nox                  # each supported Python found; the missing ones are reported as skipped
    nox -p 3.10          # one of them
    nox -- -n 2          # arguments after ``--`` go to pytest (xdist is opt-in, as in the README)

Each session makes a fresh virtual environment under ``.nox/``, then runs
``python -m pip install -e ".[dev]"`` and ``pytest`` in it, as a new user would.

nox finds an interpreter by its name (``python3.10``) on ``PATH``. pyenv installs interpreters
that are not on ``PATH`` unless selected (its ``python3.10`` shim fails when 3.10 is not the
selected version), so the newest patch release of each supported version under
``$PYENV_ROOT/versions`` that ``PATH`` does not already provide is linked into
``.nox/.interpreters/``, which goes first on ``PATH``.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import nox

#: Keep in step with ``requires-python`` and the classifiers in pyproject.toml, and the README
#: (tests/test_supported_pythons.py checks that they agree).
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")

HERE = pathlib.Path(__file__).resolve().parent
LINKS = HERE / ".nox" / ".interpreters"

nox.options.sessions = ["tests"]
# A missing interpreter is skipped, not failed (nox fails them by default when CI is set).
nox.options.error_on_missing_interpreters = False


def _runs(executable: str) -> bool:
    try:
        done = subprocess.run(  # noqa: S603 (an interpreter found on this machine, no input)
            [executable, "-c", "pass"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _patch_level(path: pathlib.Path) -> tuple[int, ...]:
    # versions/3.10.13/bin/python3.10 -> (3, 10, 13); a name that is not all digits sorts first.
    parts = path.parent.parent.name.split(".")
    return tuple(int(part) for part in parts) if all(p.isdigit() for p in parts) else ()


def pyenv_interpreters(root: pathlib.Path, versions: tuple[str, ...]) -> dict[str, pathlib.Path]:
    """The newest runnable pyenv interpreter of each version that ``PATH`` lacks."""
    found: dict[str, pathlib.Path] = {}
    for version in versions:
        on_path = shutil.which(f"python{version}")
        if on_path is not None and _runs(on_path):
            continue
        candidates = sorted(
            root.glob(f"versions/{version}.*/bin/python{version}"), key=_patch_level, reverse=True
        )
        for candidate in candidates:
            if _runs(str(candidate)):
                found[version] = candidate
                break
    return found


def expose(interpreters: dict[str, pathlib.Path], links: pathlib.Path) -> None:
    """Link each interpreter as ``links/pythonX.Y`` and put ``links`` first on ``PATH``."""
    if not interpreters:
        return
    links.mkdir(parents=True, exist_ok=True)
    for version, target in interpreters.items():
        link = links / f"python{version}"
        if link.is_symlink() and link.resolve() == target.resolve():
            continue  # already right: never pull a link from under a running session
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    os.environ["PATH"] = f"{links}{os.pathsep}{os.environ.get('PATH', '')}"


_PYENV_ROOT = pathlib.Path(os.environ.get("PYENV_ROOT") or pathlib.Path.home() / ".pyenv")
expose(pyenv_interpreters(_PYENV_ROOT, SUPPORTED), LINKS)


@nox.session(python=list(SUPPORTED))
def tests(session: nox.Session) -> None:
    """``python -m pip install -e ".[dev]"``, then ``pytest`` (with any arguments after --)."""
    session.run("python", "-m", "pip", "install", "-e", ".[dev]")
    session.run("pytest", *session.posargs)
