"""The packed steps of one fit drawn one way: how a step figure is packed for the wire, and where it is kept.

Each step figure is serialised by plotly.py (numpy arrays become base64 typed
arrays) and every bulky value inside a trace or the layout (point positions,
colours, hover data, the template) goes into a *pool* keyed by its content hash.
Steps share what did not change: positions are sent once and an M-step reuses the
colours of the E-step before it. A :class:`FrameStore` builds steps on demand and
keeps them, within a budget, for every session that draws the same fit the same
way (:func:`frame_store`); :mod:`emviz.stepper` decides which of them to send.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import plotly.io as pio

import streamlit as st

__all__ = ["POOL_MIN_CHARS", "STORE_BUDGET", "Frame", "FrameStore", "frame_store", "inline_markdown", "pack_figure"]

# Values this long (characters of JSON) or longer are pooled and shared between steps.
POOL_MIN_CHARS = 256
# Server-side memory per figure set (characters of JSON); least recently used steps go first.
STORE_BUDGET = 48_000_000


def _canonical(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _pool_value(value, pool: dict, refs: set):
    """``value`` itself if small, else a ``{"$ref": id}`` placeholder with ``pool[id] = value``."""
    if not isinstance(value, (dict, list)):
        return value
    text = _canonical(value)
    if len(text) < POOL_MIN_CHARS:
        return value
    ref = hashlib.blake2b(text.encode(), digest_size=9).hexdigest()
    pool.setdefault(ref, (value, len(text)))
    refs.add(ref)
    return {"$ref": ref}


def pack_figure(figure) -> tuple[dict, dict]:
    """Split a Plotly figure into a small skeleton and a pool of its bulky values.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure

    Returns
    -------
    skeleton : dict
        ``{"data": [...], "layout": {...}}`` where every trace attribute and
        layout entry of ``POOL_MIN_CHARS`` or more characters is replaced by
        ``{"$ref": id}``.
    pool : dict
        ``id -> (value, size in characters)``; ``id`` is a hash of the value's
        canonical JSON, so equal values in different steps share one entry.
    """
    plain = json.loads(pio.to_json(figure, validate=False))
    pool: dict = {}
    refs: set = set()
    data = [{key: _pool_value(value, pool, refs) for key, value in trace.items()} for trace in plain.get("data", [])]
    layout = {key: _pool_value(value, pool, refs) for key, value in plain.get("layout", {}).items()}
    return {"data": data, "layout": layout}, pool


_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_CODE = re.compile(r"`([^`]+)`")


def inline_markdown(text: str) -> str:
    """HTML for the little markdown the captions use: ``**bold**``, ``*italic*`` and ``code``, escaped."""
    out = html.escape(text, quote=False)
    out = _CODE.sub(r"<code>\1</code>", out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    return _ITALIC.sub(r"<em>\1</em>", out)


@dataclass
class Frame:
    """One packed step: its skeleton, the pool entries it uses and its words."""

    skeleton: dict
    refs: frozenset
    size: int


@dataclass(eq=False)
class FrameStore:
    """Packed steps of one fit drawn one way, built on demand and shared between sessions.

    Parameters
    ----------
    build : callable
        ``build(index) -> (figure, words)`` where ``words`` is a dict with
        ``title``, ``caption`` (markdown), ``flags`` (list of
        ``(kind, sentence)``, kind ``"success"`` or ``"warning"``) and optionally
        ``note`` (the figure's note, lines separated by ``<br>``, shown under the words).
    n_steps : int
    budget : int
        Characters of JSON to keep; least recently used steps are dropped beyond it.
    """

    build: Callable
    n_steps: int
    budget: int = STORE_BUDGET
    frames: OrderedDict = field(default_factory=OrderedDict)
    pool: dict = field(default_factory=dict)
    pool_users: dict = field(default_factory=dict)
    size: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def has(self, index: int) -> bool:
        return index in self.frames

    def frame(self, index: int) -> Frame:
        """The packed step ``index``, built now if needed."""
        with self.lock:
            found = self.frames.get(index)
            if found is not None:
                self.frames.move_to_end(index)
                return found
        figure, words = self.build(index)
        skeleton, pool = pack_figure(figure)
        skeleton["title"] = words["title"]
        skeleton["caption"] = inline_markdown(words["caption"])
        skeleton["flags"] = [{"kind": kind, "html": inline_markdown(text)} for kind, text in words["flags"]]
        # Plotly's own markup (<br>) is kept: this is the figure's note, moved beside the chart.
        skeleton["note"] = "<br>".join(inline_markdown(part) for part in words.get("note", "").split("<br>"))
        size = len(_canonical(skeleton)) + sum(entry[1] for entry in pool.values())
        frame = Frame(skeleton, frozenset(pool), size)
        with self.lock:
            if index in self.frames:  # another session built it meanwhile
                return self.frames[index]
            for ref, entry in pool.items():
                self.pool.setdefault(ref, entry)
                self.pool_users[ref] = self.pool_users.get(ref, 0) + 1
            self.frames[index] = frame
            self.size += frame.size
            while self.size > self.budget and len(self.frames) > 1:
                self._drop_oldest()
        return frame

    def _drop_oldest(self) -> None:
        _, frame = self.frames.popitem(last=False)
        self.size -= frame.size
        for ref in frame.refs:
            self.pool_users[ref] -= 1
            if self.pool_users[ref] == 0:
                del self.pool_users[ref]
                del self.pool[ref]

    def pool_entries(self, refs: Iterable[str]) -> dict:
        """``id -> value`` for these pool ids."""
        with self.lock:
            return {ref: self.pool[ref][0] for ref in refs if ref in self.pool}


@st.cache_resource(max_entries=8, show_spinner=False)
def frame_store(frames_id: str, _build: Callable, n_steps: int) -> FrameStore:
    """One :class:`FrameStore` per fit and drawing options, shared by every session."""
    return FrameStore(build=_build, n_steps=n_steps)
