"""Every command the README shows, given a bad argument: one short line on stderr naming it, never a traceback.

The commands come from the README itself, so a command added there without a case here fails
``test_every_readme_command_has_a_bad_argument_case``. The cases run as subprocesses, a few at a
time, in a SURVEIL_HOME of their own; none of them loads a model.
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from videos import write_video

from surveil.cli.main import build_parser
from surveil.store.lock import WriterLock
from surveil.store.store import EventStore

README = Path(__file__).resolve().parents[1] / "README.md"
TOP = "surveil"  # the key of options given to `surveil` itself (`surveil --version`)
MAX_LINE = 400  # characters; the longest lines are one-line errors that name a temporary path twice

# Per command: (arguments, what stderr must mention). {tmp} is a folder of test files: clip.avi (a
# good video), noise.mp4 (not a video), config.yaml (camera gate, rule someone), afile (a plain
# file). The default store exists and is empty.
CASES = {
    TOP: [(["--bogus-flag"], "--bogus-flag"), (["nosuchcommand"], "nosuchcommand")],
    "run": [(["run", "--config", "{tmp}/missing.yaml"], "missing.yaml"), (["run", "--seconds", "soon"], "soon")],
    "export": [(["export", "-o", "{tmp}/out1", "--event", "nosuch-event"], "nosuch-event"),
               (["export", "-o", "{tmp}/out2", "--since", "soon"], "soon"),
               (["export", "-o", "{tmp}/out3", "--camera", "gate", "--from", "soon", "--to", "now"], "soon")],
    "index": [(["index", "{tmp}/missing.mp4", "--camera", "gate", "--start", "now"], "missing.mp4"),
              (["index", "{tmp}/noise.mp4", "--camera", "gate", "--start", "now"], "noise.mp4"),
              (["index", "{tmp}/clip.avi", "--camera", "gate", "--start", "soon"], "soon"),
              (["index", "{tmp}/clip.avi", "--camera", "Bad Id", "--start", "now"], "Bad Id")],
    "retention plan": [(["retention", "plan", "--store", "{tmp}/missing-store"], "missing-store")],
    "retention run": [(["retention", "run", "--store", "{tmp}/missing-store"], "missing-store")],
    "retention status": [(["retention", "status", "--store", "{tmp}/missing-store"], "missing-store")],
    "verify": [(["verify", "{tmp}/missing.zip"], "missing.zip"),
               (["verify", "--store", "{tmp}/missing-store"], "missing-store")],
    "probe": [(["probe", "{tmp}/missing.mp4"], "missing.mp4"), (["probe", "{tmp}/noise.mp4"], "noise.mp4"),
              (["probe", "--timeout", "soon", "{tmp}/clip.avi"], "soon")],
    "analyze": [(["analyze", "{tmp}/missing.mp4"], "missing.mp4"), (["analyze", "{tmp}/noise.mp4"], "noise.mp4"),
                (["analyze", "{tmp}/clip.avi", "--confidence", "5"], "confidence"),
                (["analyze", "{tmp}/clip.avi", "-o", "{tmp}/no-folder/tracks.jsonl"], "no-folder")],
    "rules check": [(["rules", "check", "--config", "{tmp}/missing.yaml"], "missing.yaml")],
    "rules replay": [(["rules", "replay", "{tmp}/clip.avi", "--config", "{tmp}/config.yaml", "--camera", "nosuch"],
                      "nosuch"),
                     (["rules", "replay", "{tmp}/missing.mp4", "--config", "{tmp}/config.yaml"], "missing.mp4"),
                     (["rules", "replay", "{tmp}/noise.mp4", "--config", "{tmp}/config.yaml"], "noise.mp4"),
                     (["rules", "replay", "{tmp}/clip.avi", "--start", "soon"], "soon")],
    "events": [(["events", "--since", "soon"], "soon"), (["events", "--until", "26/10/2026"], "26/10/2026"),
               (["events", "--limit", "many"], "many"), (["events", "--state", "nosuch-state"], "nosuch-state"),
               (["events", "--severity", "nosuch-severity"], "nosuch-severity")],
    "search": [(["search", "--similar", "nosuch-object"], "nosuch-object"),
               (["search", "--similar", "nosuch-object", "--since", "soon"], "soon")],
    "mark": [(["mark", "nosuch-event", "--ack"], "nosuch-event"), (["mark", "--ack"], "event")],
    "models": [(["models", "nosuch-action"], "nosuch-action"), (["models", "--config", "{tmp}/missing.yaml"],
                                                                 "missing.yaml")],
    "bench vision": [(["bench", "vision", "--media", "{tmp}/missing-media"], "missing-media")],
    "bench clip": [(["bench", "clip", "--media", "{tmp}/missing-media"], "missing-media")],
    "bench store": [(["bench", "store", "--sizes", "-5"], "-5"),
                    (["bench", "store", "--sizes", "10", "--workdir", "{tmp}/missing-dir"], "missing-dir")],
    "bench cameras": [(["bench", "cameras", "--media", "{tmp}/missing-media"], "missing-media"),
                      (["bench", "cameras", "--counts", "none"], "none")],
    "bench naive": [(["bench", "naive", "--media", "{tmp}/missing-media"], "missing-media"),
                    (["bench", "naive", "--seconds", "soon"], "soon")],
    "demo": [(["demo", "--seconds", "soon"], "soon")],
    "config check": [(["config", "check", "{tmp}/missing.yaml"], "missing.yaml")],
    "config init": [(["config", "init", "{tmp}/afile/config.yaml"], "afile")],
    "config schema": [(["config", "schema", "--bogus-flag"], "--bogus-flag")],
    "config paths": [(["config", "paths", "--bogus-flag"], "--bogus-flag")],
    "eval track": [(["eval", "track", "{tmp}/missing.mp4", "--gt", "{tmp}/afile"], "missing.mp4"),
                   (["eval", "track", "{tmp}/clip.avi", "--gt", "{tmp}/afile"], "afile"),
                   (["eval", "track", "{tmp}/clip.avi", "--gt", "{tmp}/afile", "--fps", "fast"], "fast")],
    "eval reid": [(["eval", "reid", "{tmp}/missing.mp4", "--gt", "{tmp}/afile"], "missing.mp4"),
                  (["eval", "reid", "{tmp}/clip.avi", "--gt", "{tmp}/afile", "--every", "often"], "often")],
    "eval colour": [(["eval", "colour", "--media", "{tmp}/nosuchdir"], "nosuchdir"),
                    (["eval", "colour", "--labels", "{tmp}/nolabels.csv", "--media", "{tmp}"], "nolabels.csv")],
    "rules explain": [(["rules", "explain"], "text"),
                      (["rules", "explain", "a red car", "--config", "{tmp}/missing.yaml"], "missing.yaml")],
}


def _code_snippets(text: str) -> list[str]:
    """Fenced blocks line by line, then inline code spans (which may wrap), whitespace collapsed."""
    fence = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
    snippets = [line for block in fence.findall(text) for line in block.splitlines()]
    snippets += re.findall(r"`([^`]+)`", fence.sub("", text))
    return [" ".join(s.split()) for s in snippets]


def _subcommands(parser) -> dict[str, object]:
    found = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return found[0].choices if found else {}


def readme_commands() -> set[str]:
    """``rules replay``, ``events``, ``surveil`` (for `surveil --version`)...: every command the README shows."""
    commands, top = set(), _subcommands(build_parser())
    for snippet in _code_snippets(README.read_text()):
        words = snippet.replace("[", " ").replace("]", " ").split()
        for i, word in enumerate(words[:-1]):
            if word != "surveil" and not word.endswith("/surveil"):
                continue
            name = words[i + 1]
            if name.startswith("-"):
                commands.add(TOP)
            elif re.fullmatch(r"[a-z][a-z-]*", name):
                actions = _subcommands(top[name]) if name in top else {}
                chosen = words[i + 2].split("|") if actions and i + 2 < len(words) else []
                commands.update(f"{name} {a}" for a in chosen if a in actions)
                if not any(a in actions for a in chosen):
                    commands.add(name)
    return commands


def _cases() -> list[tuple[str, list[str], str]]:
    return [(key, args, mention) for key in sorted(readme_commands()) for args, mention in CASES.get(key, [])]


def test_every_readme_command_has_a_bad_argument_case():
    commands = readme_commands()
    assert {"run", "events", "rules replay", "bench store", "config init", TOP} <= commands, commands
    known = _subcommands(build_parser())
    assert not [c for c in commands if c != TOP and c.split()[0] not in known], "the README shows a command " \
        "that does not exist"
    assert not sorted(commands - set(CASES)), "add a bad-argument case for each of these"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path]:
    """Test files and an empty default store, in a SURVEIL_HOME of the module's own."""
    tmp = tmp_path_factory.mktemp("cli-errors")
    write_video(tmp / "clip.avi", count=10)
    (tmp / "noise.mp4").write_bytes(os.urandom(50_000))
    (tmp / "afile").write_text("not a folder")
    (tmp / "config.yaml").write_text(f"cameras: [{{id: gate, source: {tmp / 'clip.avi'}}}]\n"
                                     "rules: [{name: someone, classes: [person]}]\n")
    home = tmp / "home"
    EventStore(home / "data" / "store").close()
    return {"tmp": tmp, "home": home}


def _surveil(args: list[str], home: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "SURVEIL_HOME": str(home), "HF_HUB_OFFLINE": "1", "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.fixture(scope="module")
def outcomes(world) -> dict[str, subprocess.CompletedProcess]:
    """Every case's result, run three at a time: keyed by the case's arguments as written above."""
    cases = {" ".join(args): [a.format(tmp=world["tmp"]) for a in args] for _, args, _ in _cases()}
    with ThreadPoolExecutor(3) as pool:
        done = dict(zip(cases, pool.map(lambda args: _surveil(args, world["home"]), cases.values()), strict=True))
    return done


def _error_lines(stderr: str) -> list[str]:
    """stderr without argparse's usage block (which comes before its one ``error:`` line)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if lines and lines[0].startswith("usage:"):
        lines = lines[next((i for i, line in enumerate(lines) if ": error: " in line), 0):]
    return lines


@pytest.mark.parametrize(("command", "args", "mention"), _cases(), ids=lambda v: " ".join(v) if isinstance(v, list)
                         else None)
def test_a_bad_argument_is_one_short_line_that_names_it(outcomes, command, args, mention):
    done = outcomes[" ".join(args)]
    said = f"exit {done.returncode}\nstderr:\n{done.stderr}\nstdout:\n{done.stdout[-2000:]}"
    assert done.returncode != 0, said
    assert "Traceback" not in done.stderr, said
    lines = _error_lines(done.stderr)
    assert 1 <= len(lines) <= 2 and all(len(line) <= MAX_LINE for line in lines), said
    assert lines[0].startswith("surveil"), said
    assert mention in done.stderr, said


def test_a_demo_is_refused_while_another_holds_its_folder_and_nothing_is_deleted(surveil_home):
    demo = surveil_home / "data" / "demo"
    (demo / "store").mkdir(parents=True)
    (demo / "store" / "data.txt").write_text("the other demo's")
    (demo / "config.yaml").write_text("the other demo's")
    for held in (demo, demo / "store"):  # another demo, or a writer of the demo's store
        lock = WriterLock(held)
        lock.acquire()
        try:
            done = _surveil(["demo", "--seconds", "1", "--json"], surveil_home)
        finally:
            lock.release()
        assert done.returncode == 1 and done.stdout == "", done.stderr
        assert done.stderr.count("\n") == 1 and f"in use by process {os.getpid()}" in done.stderr, done.stderr
        assert (demo / "store" / "data.txt").read_text() == "the other demo's"
        assert (demo / "config.yaml").read_text() == "the other demo's"


def test_times_in_words_are_understood(world):
    done = _surveil(["events", "--since", "yesterday", "--until", "now", "--json"], world["home"])
    assert done.returncode == 0 and done.stderr == "", done.stderr
