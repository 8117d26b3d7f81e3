"""One ``pushsim run --all --junit … --trace …`` per test session, shared by the CLI checks and the
per-scenario tests: the library is played once, and every scenario still gets its own verdict."""

from __future__ import annotations

import argparse
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from scenarios.cli import add_arguments, run_command


def parser() -> argparse.ArgumentParser:
    """pushsim's parser shape: a global --seed, then subcommands (as simulator/cli.py has it)."""
    root = argparse.ArgumentParser(prog="pushsim")
    root.add_argument("--seed", type=int)
    add_arguments(root.add_subparsers(dest="command", required=True))
    return root


def pushsim(*argv: str) -> tuple[int, str]:
    """Run ``pushsim <argv>`` in-process: (exit code, output)."""
    out = io.StringIO()
    return run_command(parser().parse_args(argv), out), out.getvalue()


@dataclass(frozen=True, slots=True, kw_only=True)
class LibraryRun:
    """What one ``pushsim run --all`` printed and wrote."""

    code: int
    out: str
    junit: Path
    trace: Path

    def suite(self, name: str) -> ET.Element:
        """The JUnit testsuite of one scenario."""
        found = ET.parse(self.junit).getroot().find(f"testsuite[@name='{name}']")
        assert found is not None, f"no testsuite {name!r} in {self.junit}"
        return found


@pytest.fixture(scope="session")
def library_run(tmp_path_factory: pytest.TempPathFactory) -> LibraryRun:
    """The whole library, played once headless with a JUnit report and a trace."""
    where = tmp_path_factory.mktemp("run-all")
    code, out = pushsim("run", "--all", "--junit", str(where / "junit.xml"), "--trace", str(where / "trace.jsonl"))
    return LibraryRun(code=code, out=out, junit=where / "junit.xml", trace=where / "trace.jsonl")
