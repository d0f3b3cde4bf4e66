"""The defaults a team always types, in a config file or the environment.

``config.toml`` in subtool's config folder (platformdirs: ``~/.config/subtool/config.toml`` on
Linux), or the file ``SUBTOOL_CONFIG`` names, holds defaults for the options of ``run``,
``transcribe`` and ``batch``, under the library's names (``translate``, ``max_jobs``, ``engine``,
``profile``, ``burn``...): top-level keys apply to every command that has the option, a ``[run]``,
``[transcribe]`` or ``[batch]`` table to that command only::

    translate = ["fr", "es"]
    engine = "gladia"
    max_jobs = 25

    [batch]
    local_jobs = 4

An environment variable ``SUBTOOL_<KEY>`` (``SUBTOOL_MAX_JOBS=25``, ``SUBTOOL_TRANSLATE=fr,es``)
overrides the file. Precedence: the command line, then the environment, then the file, then the
built-in default. A key that is no option, a value of the wrong type, a file that is not TOML:
refused naming the file (or the variable) and the key, with the closest key when one is close,
as presets are.
"""

from __future__ import annotations

import os
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .suggest import did_you_mean

COMMANDS = ("run", "transcribe", "batch")
ENV_PREFIX = "SUBTOOL_"

# Every key, with its type; where a key is not an option of a command, a top-level value skips it.
KEYS: dict[str, Any] = {
    "languages": list[str], "translate": list[str], "formats": list[str], "profile": str, "engine": str, "model": str,
    "threads": int, "translation_model": str, "code_switching": bool, "diarize": bool, "speakers": int, "min_speakers": int,
    "max_speakers": int, "vocabulary": list[str], "audio_stream": int, "max_jobs": int, "cache": bool, "keep_raw": bool,
    "speaker_labels": bool, "mux": str, "burn": str, "sidecars_only": bool, "burn_language": str, "default": str,
    "forced": list[str], "replace": bool, "outdir": str, "force": bool, "cookies": str, "playlist": bool, "max_download": str | int,
    "font_size": float, "position": str, "color": str, "outline_color": str, "box": bool, "local_jobs": int, "allow_outside": bool,
    "cues": str,
}
# Options that name one run's own files or actions are no defaults.
NOT_KEYS = ("output", "dry_run", "resume_job", "resume", "restart", "state", "report", "json")


@dataclass(frozen=True)
class Setting:
    value: Any
    origin: str  # "config file /home/me/.config/subtool/config.toml", "[batch] in config file ...", "environment SUBTOOL_MAX_JOBS"


def config_path() -> Path:
    """``SUBTOOL_CONFIG``, else ``config.toml`` in subtool's platformdirs config folder."""
    env = os.environ.get("SUBTOOL_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("subtool")) / "config.toml"


def _type_ok(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if origin is list:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, annotation)


def _key(key: str, where: str, path: Path | None) -> str:
    name = key.replace("-", "_")
    if name not in KEYS:
        why = "names one run's own outputs or actions, not a default" if name in NOT_KEYS else "is not an option of run, transcribe or batch"
        hint = "" if name in NOT_KEYS else did_you_mean(name, KEYS)
        raise UsageError(f"unknown key '{key}'{where}: it {why}", path=path, hint=f"{hint}Known keys: {', '.join(KEYS)}")
    return name


def _from_file(path: Path) -> dict[str, dict[str, Setting]]:
    """Per command ("" for the top level), the settings the file holds."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        if os.environ.get("SUBTOOL_CONFIG"):
            raise UsageError("does not exist", path=path, hint="Fix SUBTOOL_CONFIG, or unset it") from None
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"is not valid TOML ({exc})", path=path, hint="Fix the file or remove it") from None
    except OSError as exc:
        raise UsageError(f"cannot be read ({exc.strerror})", path=path) from None
    out: dict[str, dict[str, Setting]] = {"": {}}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in COMMANDS:
                raise UsageError(f"unknown table [{key}]", path=path, hint=f"{did_you_mean(key, COMMANDS)}Tables: [run], [transcribe], [batch]")
            out[key] = {_checked(k, v, f" in [{key}]", path): Setting(v, f"[{key}] in config file {path}") for k, v in value.items()}
        else:
            out[""][_checked(key, value, "", path)] = Setting(value, f"config file {path}")
    return out


def _checked(key: str, value: Any, where: str, path: Path) -> str:
    name = _key(key, where, path)
    if not _type_ok(value, KEYS[name]):
        raise UsageError(f"key '{key}'{where} has the wrong type ({type(value).__name__}, not {_type_name(KEYS[name])})", path=path)
    return name


def _type_name(annotation: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
    if typing.get_origin(annotation) is list:
        return 'a list of text ("fr,es" or ["fr", "es"])'
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return " or ".join(names.get(a, str(a)) for a in typing.get_args(annotation))
    return names.get(annotation, str(annotation))


def _from_env(name: str, text: str) -> Any:
    variable = ENV_PREFIX + name.upper()
    kind = KEYS[name]
    try:
        if kind is bool:
            low = text.strip().lower()
            if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError
            return low in ("1", "true", "yes", "on")
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise UsageError(f"{variable}={text!r} is not {_type_name(kind)}", hint=f"Fix or unset {variable}") from None
    return text


def settings(command: str) -> dict[str, Setting]:
    """The defaults for ``command`` (run, transcribe or batch), each with where it came from:
    the environment over the file's ``[command]`` table over its top level."""
    path = config_path()
    found = _from_file(path)
    out = {**found.get("", {}), **found.get(command, {})}
    for name in KEYS:
        text = os.environ.get(ENV_PREFIX + name.upper())
        if text is not None and text != "":
            out[name] = Setting(_from_env(name, text), f"environment {ENV_PREFIX}{name.upper()}")
    return out
