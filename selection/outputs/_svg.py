"""SVG rendering that neither depends on matplotlib's global SVG settings nor changes them.

matplotlib's SVG backend reads two global settings while it draws: ``rcParams["svg.fonttype"]``
(``"path"`` turns every text into glyph outlines, so a name in a script the layout font lacks
becomes empty boxes) and ``rcParams["svg.hashsalt"]`` (the salt of every element id; a random
uuid when unset, so ids change from process to process). Setting either, even briefly with
``matplotlib.rc_context``, changes the state of the program that embeds this library and races
with its other threads. Instead:

- :class:`_TextRenderer` always writes text as text (the browser draws every script with its
  own fonts) and measures text with a fixed width per character (:func:`text_width`), so no
  font is looked up, nothing warns that a glyph is missing, and the layout does not depend on
  the fonts installed;
- :func:`_stable_ids` renames every element id after drawing, in order of first appearance,
  with a prefix hashed from the drawing itself: the ids (and so the bytes) depend only on what
  is drawn, and two different charts on one page never share an id.

Imported on first use by :func:`selection.outputs.draw.figure_svg` (it imports matplotlib).
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure_svg_text", "text_width"]

# DejaVu Sans (matplotlib's default font) at 1 pt: the height and descent of "lp", which
# matplotlib uses as the line height and descent of every single-line text.
_LINE_HEIGHT = 0.968
_DESCENT = 0.208
_NARROW = frozenset(" .,:;'!|()[]ilj-")
_METADATA = {"Date": None, "Creator": None}


@lru_cache(maxsize=4096)
def text_width(text: str) -> float:
    """Return the width of ``text`` at 1 pt, estimated from its characters (no font lookup).

    Wide East Asian characters count 1 em, combining marks and format characters 0, narrow
    punctuation 0.32 em, digits 0.64 em (DejaVu Sans), capitals 0.68 em and others 0.56 em.
    The browser draws the text with its own fonts, so an estimate is as good as a measurement.

    Examples
    --------
    >>> text_width("王子")
    2.0
    >>> round(text_width("8.0"), 2)
    1.6
    """
    width = 0.0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        if unicodedata.east_asian_width(char) in ("W", "F"):
            width += 1.0
        elif char in _NARROW:
            width += 0.32
        elif char.isdigit():
            width += 0.64
        elif char.isupper():
            width += 0.68
        else:
            width += 0.56
    return width


class _TextRenderer(RendererSVG):
    """matplotlib's SVG renderer with text always kept as text and measured by estimate."""

    def _draw_text_as_path(self, *args: Any, **kwargs: Any) -> None:
        # rcParams["svg.fonttype"] = "path" (the default) sends text here; keep it as text.
        self._draw_text_as_text(*args, **kwargs)

    def get_text_width_height_descent(
        self, s: str, prop: Any, ismath: bool | str
    ) -> tuple[float, float, float]:
        if ismath:  # only matplotlib's own tick offsets ("1e3"): its fonts have the glyphs
            width, height, descent = super().get_text_width_height_descent(s, prop, ismath)
            return float(width), float(height), float(descent)
        size = float(prop.get_size_in_points())
        return text_width(s) * size, _LINE_HEIGHT * size, _DESCENT * size


class _Canvas(FigureCanvasSVG):
    """An SVG canvas drawing with :class:`_TextRenderer` (as ``FigureCanvasSVG.print_svg``)."""

    def print_svg(
        self,
        filename: io.StringIO,
        *,
        bbox_inches_restore: Any = None,
        metadata: dict[str, Any] | None = None,
        **_: Any,  # dpi, facecolor, edgecolor, orientation: already applied by savefig
    ) -> None:
        figure = self.figure
        dpi = figure.dpi
        figure.dpi = 72  # SVG lengths are points; savefig restores the dpi afterwards
        width, height = figure.get_size_inches()
        svg_renderer = _TextRenderer(
            width * 72, height * 72, filename, image_dpi=dpi, metadata=metadata
        )
        renderer = MixedModeRenderer(
            figure, width, height, dpi, svg_renderer, bbox_inches_restore=bbox_inches_restore
        )
        figure.draw(renderer)  # type: ignore[arg-type]  # it proxies a RendererBase
        renderer.finalize()


def figure_svg_text(figure: Figure) -> str:
    """Return ``figure`` as SVG text (from ``<svg``) with no date and stable ids.

    The figure's own canvas is put back afterwards, so a figure shown in a notebook stays
    attached to it.
    """
    original = figure.canvas
    _Canvas(figure)
    buffer = io.StringIO()
    try:
        figure.savefig(
            buffer,
            format="svg",
            dpi=72,
            facecolor="white",
            edgecolor="white",
            transparent=False,
            metadata=_METADATA,
        )
    finally:
        figure.set_canvas(original)
    text = buffer.getvalue()
    return _stable_ids(text[text.index("<svg") :])


_TAG = re.compile(r"<[^>]*>")
_ID = re.compile(r"""(\bid="|\bhref="#|url\(#)([^"'()\s]+)""")
_SLOT = re.compile("\x00([0-9]+)\x00")


def _stable_ids(text: str) -> str:
    """Rename every id (and every reference to it) to ``pj<hash>-<n>``, in order of first use.

    Only markup is touched: matplotlib escapes ``<`` and ``>`` in text and attribute values,
    so every ``<...>`` is a tag and a name that looks like a reference is left as it is.

    Examples
    --------
    >>> _stable_ids('<svg><g id="p1a"><use href="#p1a"/></g><text>url(#p1a)</text></svg>')
    ... # doctest: +ELLIPSIS
    '<svg><g id="pj...-0"><use href="#pj...-0"/></g><text>url(#p1a)</text></svg>'
    """
    numbers: dict[str, int] = {}

    def slot(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group(2), len(numbers))
        return f"{match.group(1)}\x00{number}\x00"  # NUL never occurs in XML

    numbered = _TAG.sub(lambda tag: _ID.sub(slot, tag.group(0)), text)
    prefix = "pj" + hashlib.sha256(numbered.encode("utf-8")).hexdigest()[:8]
    return _SLOT.sub(lambda match: f"{prefix}-{match.group(1)}", numbered)
