"""Lesson files: a lecture as slides, each naming a page and that page's state.

    {"lesson": "Convolution", "format": 1, "app_version": "0.1.0",
     "slides": [{"page": "convolution", "title": "The worked 4×4 example",
                 "notes": "Each output cell is Σ window · kernel + b.",
                 "state": {"conv2d": {"geometry": {"stride": [1, 1]}}},
                 "hide": ["conv2d"]}]}

`state` is what the page's `state()` returns (or part of it: missing keys keep the page's
defaults); `hide` names controls of `page.controls()` a slide hides. This module reads, checks
and writes the file (no Qt): a malformed file raises `LessonError` naming the file, the slide
and the field; a slide naming a page this version does not have, in a lesson written by a newer
version, is skipped with a note instead. Whether a state's *values* suit their page is checked
by the page itself (`apply_state` raises StateError) when the lesson is opened.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.files import FileWriteError, atomic_write

FORMAT = 1
APP_VERSION = "0.1.0"
MAX_BYTES = 2_000_000       # a lesson is a few kB; a bigger file is not one


class LessonError(ValueError):
    """A lesson that cannot be opened; the message names the file, the slide and the field."""

    def __init__(self, path, message: str, slide: int | None = None, field: str | None = None):
        where = Path(path).name
        if slide is not None:
            where += f", slide {slide + 1}"
        if field is not None:
            where += f", '{field}'"
        super().__init__(f"{where}: {message}")
        self.slide, self.field = slide, field


@dataclass
class Slide:
    page: str                          # a page id (gui.pages.PAGES)
    title: str = ""
    notes: str = ""                    # a few lines for the side panel (plain text)
    state: dict = field(default_factory=dict)
    hide: list[str] = field(default_factory=list)


@dataclass
class Lesson:
    title: str
    slides: list[Slide]
    skipped: list[str] = field(default_factory=list)   # why slides were left out
    path: Path | None = None


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(text).split("."))
    except ValueError:
        return (0,)


def _text(path, raw: dict, key: str, k: int | None, default: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise LessonError(path, f"needs text, got {type(value).__name__}", k, key)
    return value


def read_lesson(path, page_ids: list[str]) -> Lesson:
    """Read and check a lesson file against the pages this version has."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise LessonError(path, f"is {path.stat().st_size:,} bytes: too big to be a lesson")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LessonError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise LessonError(path, "is not a text file") from exc
    except json.JSONDecodeError as exc:
        raise LessonError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                                f"{exc.msg})") from exc
    if not isinstance(data, dict):
        raise LessonError(path, "needs a table with 'lesson' and 'slides'")
    fmt = data.get("format", FORMAT)
    if not isinstance(fmt, int) or fmt < 1:
        raise LessonError(path, f"unknown format {fmt!r}", field="format")
    newer = fmt > FORMAT or _version(data.get("app_version", APP_VERSION)) > _version(APP_VERSION)
    title = _text(path, data, "lesson", None, path.stem)
    raw_slides = data.get("slides")
    if not isinstance(raw_slides, list) or not raw_slides:
        raise LessonError(path, "needs a list of at least one slide", field="slides")
    slides, skipped = [], []
    for k, raw in enumerate(raw_slides):
        if not isinstance(raw, dict):
            raise LessonError(path, "needs a table (page, title, notes, state)", k)
        page = raw.get("page")
        if not isinstance(page, str):
            raise LessonError(path, "needs the id of a page", k, "page")
        if page not in page_ids:
            if newer:
                skipped.append(f"slide {k + 1} needs the page '{page}' of a newer version: "
                               "skipped")
                continue
            raise LessonError(path, f"unknown page '{page}' (this version has: "
                                    f"{', '.join(page_ids)})", k, "page")
        state = raw.get("state", {})
        if not isinstance(state, dict):
            raise LessonError(path, "needs a table of the page's settings", k, "state")
        hide = raw.get("hide", [])
        if not isinstance(hide, list) or not all(isinstance(h, str) for h in hide):
            raise LessonError(path, "needs a list of control names", k, "hide")
        unknown = sorted(set(raw) - {"page", "title", "notes", "state", "hide"})
        if unknown and not newer:
            raise LessonError(path, "is not a field of a slide", k, unknown[0])
        slides.append(Slide(page, _text(path, raw, "title", k), _text(path, raw, "notes", k),
                            state, list(hide)))
    if not slides:
        raise LessonError(path, "has no slide this version can show", field="slides")
    return Lesson(title, slides, skipped, path)


def lesson_dict(lesson: Lesson) -> dict:
    return {"lesson": lesson.title, "format": FORMAT, "app_version": APP_VERSION,
            "slides": [asdict(s) for s in lesson.slides]}


def write_lesson(path, lesson: Lesson) -> None:
    """Write atomically (temporary file, then rename): a failed write keeps the old file."""
    text = json.dumps(lesson_dict(lesson), indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def append_slide(path, slide: Slide, page_ids: list[str]) -> Lesson:
    """Add a slide at the end of a lesson file (made when missing); returns the new lesson.
    A file that is not a lesson raises LessonError and is left as it was."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        lesson = read_lesson(path, page_ids)
        if lesson.skipped:
            raise LessonError(path, "was written by a newer version: saving into it would drop "
                                    "its slides; choose another file")
    else:
        lesson = Lesson(path.stem.replace("_", " ").capitalize(), [], path=path)
    lesson.slides.append(slide)
    write_lesson(path, lesson)
    return lesson


__all__ = ["FORMAT", "FileWriteError", "Lesson", "LessonError", "Slide", "append_slide",
           "read_lesson", "write_lesson"]
