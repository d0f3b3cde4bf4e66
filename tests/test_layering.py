"""The layering of ARCHITECTURE.md, checked on the source: who may import whom (imports inside
functions count too), and that nothing below the command line prints or exits."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "subtool"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved (``from .x import y`` gives
    ``pkg.x`` and ``pkg.x.y``: y may be a module)."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{alias.name}" for alias in node.names)
    return out


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py")}


def _of(prefix: str) -> dict[str, Path]:
    return {m: p for m, p in MODULES.items() if m == prefix or m.startswith(prefix + ".")}


def _subtool(imports: set[str]) -> set[str]:
    return {i for i in imports if i == "subtool" or i.startswith("subtool.")}


def _inside(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


SUBTITLE_WRITING = {"write_track", "write_tracks", "cues_to_ssafile", "sidecar_path", "build_cues"}


def test_models_and_errors_import_nothing_else_of_subtool() -> None:
    foundation = ("subtool.models", "subtool.errors", "subtool.redaction")
    for name, path in {**_of("subtool.models"), **_of("subtool.errors"), **_of("subtool.redaction")}.items():
        bad = {i for i in _subtool(_imports(path)) if not _inside(i, *foundation)}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_media_imports_neither_presets_nor_subtitle_writing_nor_the_flow() -> None:
    for name, path in _of("subtool.media").items():
        imports = _subtool(_imports(path))
        bad = {i for i in imports if _inside(i, "subtool.presets", "subtool.flow", "subtool.batch", "subtool.api", "subtool.cli")}
        # The service's facts (a module of data) are the one thing of the engines media may ask.
        bad |= {i for i in imports if _inside(i, "subtool.engines") and i != "subtool.engines.gladia"
                and not _inside(i, "subtool.engines.gladia.service")}
        bad |= {i for i in imports if i.rsplit(".", 1)[-1] in SUBTITLE_WRITING or _inside(i, "subtool.subtitles.write")}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_engines_import_no_subtitles_and_nothing_above_them() -> None:
    for name, path in _of("subtool.engines").items():
        bad = {i for i in _subtool(_imports(path)) if _inside(i, "subtool.subtitles", "subtool.flow", "subtool.batch", "subtool.api",
                                                                "subtool.cli", "subtool.presets")}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_the_stages_do_not_import_their_schedulers_or_the_command_line() -> None:
    for name, path in _of("subtool.flow").items():
        bad = {i for i in _subtool(_imports(path)) if _inside(i, "subtool.batch", "subtool.api", "subtool.cli")}
        assert not bad, f"{name} imports {sorted(bad)}"
    for name, path in _of("subtool.batch").items():
        bad = {i for i in _subtool(_imports(path)) if _inside(i, "subtool.api", "subtool.cli")}
        assert not bad, f"{name} imports {sorted(bad)}"


def test_the_command_line_calls_only_the_library() -> None:
    for name, path in _of("subtool.cli").items():
        bad = {i for i in _subtool(_imports(path)) - {"subtool"}
               if not _inside(i, "subtool.cli", "subtool.api", "subtool.models", "subtool.errors")}
        assert not bad, f"{name} imports {sorted(bad)}"


PRINTING = ("print", "sys.exit", "exit", "click.echo", "click.secho", "sys.stdout.write", "sys.stderr.write")


def _calls(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            out.add(ast.unparse(node.func))
    return out


def test_nothing_below_the_command_line_prints_or_exits() -> None:
    # The emulator is its own program (it prints its URL); subtool.demo is `make demo`'s script.
    below = {m: p for m, p in MODULES.items() if not _inside(m, "subtool.cli", "subtool.testing", "subtool.demo")}
    for name, path in below.items():
        bad = _calls(path) & set(PRINTING)
        assert not bad, f"{name} calls {sorted(bad)}"


def test_the_checks_above_would_catch_a_breach(tmp_path: Path) -> None:
    """The import reader sees a lazy import inside a function, a relative one, and a print."""
    bad = PACKAGE / "media" / "_layering_probe.py"
    bad.write_text("def f():\n    from ..presets import load_burn\n    print(load_burn)\n", encoding="utf-8")
    try:
        assert "subtool.presets" in _imports(bad) and "print" in _calls(bad)
    finally:
        bad.unlink()


@pytest.mark.parametrize("expr, expected", [
    ("subtool.run('x.mp4')", "list[subtool.models.flow.RunResult]"),
    ("subtool.probe('x.mp4')", "subtool.models.media.MediaInfo"),
    ("subtool.check('x.srt')", "list[subtool.models.reports.CheckedFile]"),
    ("subtool.mux('x.mp4', ['x.fr.srt'])", "subtool.models.tracks.MuxResult"),
])
def test_the_public_api_is_typed_for_type_checkers(tmp_path: Path, expr: str, expected: str) -> None:
    """``reveal_type(subtool.run(...))`` is what it returns, not Any (the API is imported
    lazily at run time, but type checkers see it)."""
    probe = tmp_path / "probe.py"
    probe.write_text(f"import subtool\nreveal_type({expr})\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(probe)],
                         capture_output=True, text=True, cwd=PACKAGE.parent)
    assert f'Revealed type is "{expected}"' in out.stdout, out.stdout + out.stderr


def test_a_typo_in_a_library_option_is_refused() -> None:
    import subtool
    from subtool.errors import UsageError

    with pytest.raises(UsageError, match="unknown option 'use_cache'"):
        subtool.run("x.mp4", use_cache=False)  # type: ignore[call-arg]
