"""Presets: subtitle profiles, mux presets and burn styles, as TOML files.

Shipped presets live in the repository's ``presets/`` folder (installed as ``subtool/_presets``);
a user's config folder (``platformdirs`` config dir ``presets/``, or ``SUBTOOL_PRESETS_DIR``)
overrides them by name, as ffmpeg-normalize's user presets do. Each file names its ``kind``;
unknown keys and wrong types are refused naming the file and the key.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import PresetError
from .models import BurnStyle, MuxPreset, Profile
from .suggest import did_you_mean

Kind = Literal["profile", "mux", "burn"]


def _check_profile(self: Profile, path: Path | None = None) -> None:
    positive = ("max_chars_per_line", "max_lines", "max_cps", "max_duration", "fps", "cjk_max_chars_per_line", "cjk_max_cps")
    for key in positive:
        if getattr(self, key) <= 0:
            raise PresetError(f"key '{key}' must be more than 0, not {getattr(self, key)}", path=path)
    for key in ("min_duration", "min_gap", "gap_frames", "close_gap", "min_seconds_per_word", "sync_frames"):
        if getattr(self, key) < 0:
            raise PresetError(f"key '{key}' must not be negative, not {getattr(self, key)}", path=path)
    if self.min_duration > self.max_duration:
        raise PresetError(f"key 'min_duration' ({self.min_duration}) is more than 'max_duration' ({self.max_duration})", path=path)
    if self.service_style not in ("default", "compliance"):
        raise PresetError(f"key 'service_style' must be 'default' or 'compliance', not '{self.service_style}'", path=path)


def _check_mux(self: MuxPreset, path: Path | None = None) -> None:
    from .languages import is_known

    if self.container not in ("mkv", "mp4", "mov", "webm"):
        raise PresetError(f"key 'container' must be mkv, mp4, mov or webm, not '{self.container}'", path=path)
    if self.default not in ("first", "none") and not is_known(self.default):
        raise PresetError(f"key 'default' must be 'first', 'none' or a language code, not '{self.default}'", path=path)
    bad = [code for code in self.forced if not is_known(code)]
    if bad:
        raise PresetError(f"key 'forced' holds '{bad[0]}', which is not a language code", path=path)
    wrong = [f for f in self.formats if f not in ("srt", "vtt", "ass")]
    if wrong or not self.formats:
        raise PresetError(f"key 'formats' must list srt, vtt or ass, not {self.formats}", path=path)
    _check_profile_key(self.profile, path)


def _check_burn(self: BurnStyle, path: Path | None = None) -> None:
    import re

    for key in ("primary_colour", "outline_colour", "back_colour"):
        if not re.fullmatch(r"&H[0-9A-Fa-f]{8}&?", getattr(self, key).strip()):
            raise PresetError(f"key '{key}' must be a colour: #RRGGBB, a CSS colour name or ASS &HAABBGGRR (e.g. #FFFFFF, white, "
                              f"&H00FFFFFF), not '{getattr(self, key)}'", path=path)
    if self.alignment not in range(1, 10):
        raise PresetError(f"key 'alignment' must be 1-9 (numpad layout), not {self.alignment}", path=path)
    if self.border_style not in (1, 3, 4):
        raise PresetError(f"key 'border_style' must be 1, 3 or 4, not {self.border_style}", path=path)
    if not 0 < self.font_size < 1 or not 0 <= self.margin_v < 1 or not 0 <= self.margin_h < 0.5:
        raise PresetError("keys 'font_size', 'margin_v', 'margin_h' are fractions of the picture (e.g. 0.05)", path=path)
    if self.container not in ("mp4", "mkv", "mov", "webm"):
        raise PresetError(f"key 'container' must be mp4, mkv, mov or webm, not '{self.container}'", path=path)
    if self.video_codec not in VIDEO_CODECS:
        raise PresetError(f"key 'video_codec' must be one of {', '.join(VIDEO_CODECS)}, not '{self.video_codec}'", path=path)
    top = 63 if self.video_codec.startswith("libvpx") or self.video_codec == "libaom-av1" else 51
    if not 0 <= self.crf <= top:
        raise PresetError(f"key 'crf' must be 0-{top} for {self.video_codec}, not {self.crf}", path=path)
    if self.speed not in SPEEDS:
        raise PresetError(f"key 'speed' must be one of {', '.join(SPEEDS)}, not '{self.speed}'", path=path)
    for key in ("outline", "shadow"):
        if not 0 <= getattr(self, key) <= 50:
            raise PresetError(f"key '{key}' must be 0-50 (pixels at 1080 lines), not {getattr(self, key)}", path=path)
    _check_profile_key(self.profile, path)


# Encoders burn-in can drive (containers.video_encoder_args), and x264's speed presets (also
# mapped to VP9's deadline/cpu-used).
VIDEO_CODECS = ("libx264", "libx265", "libvpx-vp9", "libaom-av1")
SPEEDS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo")


def _check_profile_key(name: str, path: Path | None) -> None:
    """A preset's ``profile`` key must name a profile that exists."""
    if not any(p.kind == "profile" and p.name == name for p in discover()) and not (name.endswith(".toml") and Path(name).is_file()):
        raise PresetError(f"key 'profile' names no profile preset: '{name}'", path=path, hint="See 'subtool presets list'")


KIND_CLASSES: dict[str, type[Any]] = {"profile": Profile, "mux": MuxPreset, "burn": BurnStyle}
KIND_CHECKS: dict[str, Callable[[Any, Path | None], None]] = {"profile": _check_profile, "mux": _check_mux, "burn": _check_burn}


@dataclass
class PresetFile:
    name: str
    kind: str  # "" when the file is malformed
    path: Path
    origin: str  # "builtin" | "user"
    overrides: Path | None = None  # the shipped file a user preset hides
    error: PresetError | None = None  # why the file cannot be used (then kind is "")


def builtin_dir() -> Path:
    packaged = Path(__file__).parent / "_presets"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "presets"


def user_dir() -> Path:
    env = os.environ.get("SUBTOOL_PRESETS_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("subtool")) / "presets"


def _read(path: Path) -> dict[str, Any]:
    try:
        stat = path.stat()
    except OSError as exc:
        raise PresetError(f"cannot be read ({exc.strerror})", path=path) from None
    # Parsed once per version of the file: a batch loads its presets for every item.
    return copy.deepcopy(_parse(path, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _parse(path: Path, _mtime_ns: int, _size: int) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"is not valid TOML ({exc})", path=path, hint="Fix the file or remove it") from None
    except OSError as exc:
        raise PresetError(f"cannot be read ({exc.strerror})", path=path) from None


def discover() -> list[PresetFile]:
    """Every preset, user ones hiding shipped ones of the same kind and name. A malformed file is
    listed with its ``error`` rather than raised: it breaks only a command that asks for it."""
    found: dict[tuple[str, str], PresetFile] = {}
    for origin, folder in (("builtin", builtin_dir()), ("user", user_dir())):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                kind = str(_read(path).get("kind", ""))
                if kind not in KIND_CLASSES:
                    raise PresetError(f"key 'kind' must be one of {', '.join(KIND_CLASSES)}", path=path)
            except PresetError as exc:
                found[("", path.stem)] = PresetFile(path.stem, "", path, origin, error=exc)
                continue
            key = (kind, path.stem)
            previous = found.get(key)
            found[key] = PresetFile(path.stem, kind, path, origin, previous.path if previous else None)
    return sorted(found.values(), key=lambda p: (p.kind, p.name))


def _check_type(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_check_type(value, a) for a in typing.get_args(annotation))
    if origin is list:
        (inner,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_check_type(v, inner) for v in value)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is type(None):
        return value is None
    return isinstance(value, annotation)


# What people write for a burn style's keys, by meaning rather than spelling ("colour" is closer
# to back_colour than to primary_colour letter by letter). American spellings are folded first.
SYNONYMS = {"colour": "primary_colour", "text_colour": "primary_colour", "font_colour": "primary_colour", "fill": "primary_colour",
            "border_colour": "outline_colour", "stroke": "outline", "box_colour": "back_colour", "background": "back_colour",
            "background_colour": "back_colour", "size": "font_size", "font_name": "font", "fontname": "font", "fontsize": "font_size",
            "position": "alignment", "codec": "video_codec", "preset": "speed", "quality": "crf"}


def build(kind: str, name: str, data: dict[str, Any], path: Path | None = None) -> Any:
    """Validate ``data`` against the kind's fields and build its dataclass."""
    cls = KIND_CLASSES[kind]
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {"name": name}
    for key, value in data.items():
        if key == "kind":
            continue
        attr = key.replace("-", "_")
        if attr not in fields or attr == "name":
            known = sorted(fields - {"name"})
            meant = SYNONYMS.get(attr.lower().replace("color", "colour"))
            guess = f"Did you mean '{meant}'? " if meant in known else did_you_mean(attr, known)
            raise PresetError(f"unknown key '{key}' in a {kind} preset", path=path, hint=f"{guess}Known keys: {', '.join(known)}")
        if not _check_type(value, hints[attr]):
            raise PresetError(f"key '{key}' has the wrong type ({type(value).__name__})", path=path)
        values[attr] = float(value) if hints[attr] is float else value
    if kind == "burn":  # colours as #RRGGBB or CSS names too, held as ASS &HAABBGGRR
        from .styles import ass_colour

        for key in ("primary_colour", "outline_colour", "back_colour"):
            if isinstance(values.get(key), str):
                values[key] = ass_colour(values[key]) or values[key]
    preset = cls(**values)
    KIND_CHECKS[kind](preset, path)  # value rules of the kind (colours, choices), naming the file and the key
    return preset


def load(kind: Kind, name: str) -> Any:
    """The preset of ``kind`` called ``name`` (user folder first); a path to a .toml also works."""
    if name.endswith(".toml") and Path(name).is_file():
        path = Path(name)
        data = _read(path)
        if data.get("kind", kind) != kind:
            raise PresetError(f"is a {data.get('kind')} preset, not a {kind} preset", path=path)
        return build(kind, path.stem, data, path)
    presets = discover()
    for preset in presets:
        if preset.error is None and preset.kind == kind and preset.name == name:
            return build(kind, name, _read(preset.path), preset.path)
    for preset in presets:
        if preset.error is not None and preset.name == name:
            raise preset.error  # the file meant by that name is malformed: say how
    known = [p.name for p in presets if p.kind == kind]
    raise PresetError(f"no {kind} preset called '{name}'", hint=f"{did_you_mean(name, known)}Available: {', '.join(known) or 'none'}")


def load_profile(name: str) -> Profile:
    return typing.cast(Profile, load("profile", name))


def load_mux(name: str) -> MuxPreset:
    return typing.cast(MuxPreset, load("mux", name))


def load_burn(name: str) -> BurnStyle:
    return typing.cast(BurnStyle, load("burn", name))
