"""Presets as plain data: a subtitle profile, a mux preset, a burn style (``subtool.presets``
loads and checks them from TOML files)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Profile:
    """A subtitle profile: the reading rules cues must meet."""

    name: str
    description: str = ""
    max_chars_per_line: int = 42
    max_lines: int = 2
    max_cps: float = 17.0
    min_duration: float = 5 / 6
    max_duration: float = 7.0
    min_gap: float = 0.08
    fps: float = 25.0
    cjk_max_chars_per_line: int = 16
    cjk_max_cps: float = 9.0
    gap_frames: float = 0.0  # when set, the minimum gap is gap_frames / fps (overrides min_gap)
    close_gap: float = 0.0  # gaps shorter than this are closed (down to the minimum gap)
    min_seconds_per_word: float = 0.0  # BBC-style minimum timing per word (0: not used)
    sync_frames: float = 0.0  # how far (frames at fps) a cue edge may leave speech to meet min duration
    shot_changes: bool = False  # time cue edges to the video's shot changes by default (--shot-changes)
    service_style: str = "default"  # sent as subtitles_config.style
    source: str = ""


@dataclass
class MuxPreset:
    """How soft tracks are muxed."""

    name: str
    description: str = ""
    container: str = "mkv"  # mkv | mp4 | mov | webm
    default: str = "first"  # "first", "none", or a language code
    forced: list[str] = field(default_factory=list)
    replace: bool = False
    profile: str = "netflix"
    formats: list[str] = field(default_factory=lambda: ["srt"])


@dataclass
class BurnStyle:
    """How one track is burned into the picture (libass style + encoder settings)."""

    name: str
    description: str = ""
    font: str = "Noto Sans"
    font_size: float = 0.05  # of the picture height
    bold: bool = False
    primary_colour: str = "&H00FFFFFF"  # ASS &HAABBGGRR
    outline_colour: str = "&H00000000"
    back_colour: str = "&H80000000"
    outline: float = 2.0  # pixels on a 1080-line picture, scaled to the video (box padding with border_style 3)
    shadow: float = 0.0  # same unit as outline
    border_style: int = 1  # 1 outline + shadow, 3 box per line (outline_colour), 4 one box (back_colour)
    alignment: int = 2  # numpad layout: 2 bottom centre, 8 top centre
    margin_v: float = 0.06  # of the picture height
    margin_h: float = 0.05  # of the picture width
    video_codec: str = "libx264"
    crf: int = 20
    speed: str = "medium"  # x264 -preset
    container: str = "mp4"
    profile: str = "netflix"
