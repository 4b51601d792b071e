"""Keep Streamlit's collection after every run cheap: the objects the imports made are frozen once.

Streamlit runs a full garbage collection after every script run (``runner.postScriptGC``),
fragment runs and ``st.rerun`` hops included. A full pass visits every object the
process tracks; here about 150,000 of them come from importing Streamlit, Plotly,
pandas, SciPy and emviz, and the pass takes about 100 ms: in the path of every click
that reruns the page, before the next run starts and while the answer waits to be sent.
Those objects live as long as the server, so :func:`gc.freeze` moves them out of
every later collection; what the runs make is still collected as before.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_import_time_objects() -> bool:
    """Collect once, then freeze what is left (the modules and what they hold); once per process.

    Call it after the heavy imports, before any session has built figures or fits:
    garbage frozen with them would never be freed.

    Returns
    -------
    bool
        Whether this call froze them (``False`` when an earlier call already had).
    """
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.collect()
        gc.freeze()
        _frozen = True
        return True
