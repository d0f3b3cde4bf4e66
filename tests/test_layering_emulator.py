"""The Gladia emulator is a separate implementation of the service: it may read the service's
facts (``subtool.engines.gladia.service``) but never import the client it emulates (the engine,
the official SDK), or a bug shared by both would pass every test."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import subtool.testing.gladia as emulator_package

CLIENT_MODULES = ("subtool.engines.gladia.engine", "gladiaio_sdk")
PACKAGE = "subtool.testing.gladia"
# The one other engine the emulator may ask: --transcriber local transcribes with the embedded
# offline engine (imported only then); it is not the client the emulator stands in for.
ALLOWED_ENGINES = ("subtool.engines.gladia.service", "subtool.engines.local")


def _emulator_modules() -> list[str]:
    return [PACKAGE, *(f"{PACKAGE}.{m.name}" for m in pkgutil.iter_modules(emulator_package.__path__))]


def test_importing_the_emulator_loads_neither_the_client_nor_the_sdk() -> None:
    modules = _emulator_modules()
    assert f"{PACKAGE}.server" in modules and f"{PACKAGE}.__main__" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    loaded = json.loads(r.stdout)
    assert f"{PACKAGE}.handler" in loaded  # the server's modules were imported
    assert "subtool.engines.gladia.service" in loaded  # the facts are read from their one home
    for client in CLIENT_MODULES:
        assert not [m for m in loaded if m == client or m.startswith(client + ".")], f"the emulator imports {client}"


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts[: len(parts) - node.level + (1 if module.endswith("__init__") else 0)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported_names(module: str, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, absolute name) of everything an import statement names, at any depth."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return out


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_emulator_module_imports_the_client_even_lazily() -> None:
    """Imports inside functions do not show at import time: every import statement is read."""
    folder = Path(emulator_package.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        module = f"{PACKAGE}.{path.stem}"
        for line, name in _imported_names(module, ast.parse(path.read_text(encoding="utf-8"))):
            other_engine = name.startswith("subtool.engines.") and not _within(name, ALLOWED_ENGINES)
            if _within(name, CLIENT_MODULES) or other_engine:
                offenders.append(f"{path.name}:{line} {name}")
    assert not offenders, offenders


def test_what_the_client_may_send_the_emulator_accepts() -> None:
    """The facts both sides hold agree: every language, translation model and subtitles_config
    the service module allows passes the emulator's validation, and a code it lacks does not."""
    from types import SimpleNamespace

    from subtool.engines.gladia import service
    from subtool.testing.gladia import spec

    url = "https://example.com/a.mp3"
    for code in sorted(service.TRANSCRIPTION_LANGUAGES):
        assert spec.validate({"audio_url": url, "language_config": {"languages": [code]}}) == [], code
    targets = sorted(service.TRANSLATION_LANGUAGES)
    for model in service.TRANSLATION_MODELS:
        body = {"audio_url": url, "translation": True, "translation_config": {"target_languages": targets, "model": model}}
        assert spec.validate(body) == [], model
    for style in service.SUBTITLE_STYLES:
        for extreme in (0.2, 100.0):
            profile = SimpleNamespace(min_duration=-1.0, max_duration=extreme, max_chars_per_line=1, max_lines=int(extreme), service_style=style)
            config = {"formats": list(service.SUBTITLE_FORMATS), **service.subtitles_config(profile)}
            assert spec.validate({"audio_url": url, "subtitles": True, "subtitles_config": config}) == [], config
    assert spec.validate({"audio_url": url, "language_config": {"languages": ["xx"]}}) != []
    assert spec.validate({"audio_url": url, "subtitles_config": {"maximum_duration": service.SUBTITLE_DURATION_RANGE[1] + 1}}) != []
