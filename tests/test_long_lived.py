"""The import-time objects are frozen out of Streamlit's after-run collection, once per process."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from pathlib import Path

from emviz.long_lived import freeze_import_time_objects

REPO = Path(__file__).resolve().parent.parent


def test_freezing_happens_once_and_leaves_later_objects_collectable():
    freeze_import_time_objects()  # an earlier test's AppTest run of app.py may have frozen them already
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert freeze_import_time_objects() is False
    assert gc.get_freeze_count() == frozen  # a second call freezes nothing new

    class Cycle:
        pass

    a, b = Cycle(), Cycle()
    a.other, b.other = b, a  # a reference cycle made after freezing: only the collector frees it
    del a, b
    assert gc.collect() >= 2


def test_a_fresh_process_freezes_the_imports_and_a_full_collection_gets_cheap():
    # In a process of its own (this one has run other tests): the first call freezes, and the full
    # collection Streamlit runs after every script run then visits a small fraction of the objects.
    script = textwrap.dedent("""
        import gc
        import emviz.figures, emviz.pagekit
        from emviz.long_lived import freeze_import_time_objects
        before = len(gc.get_objects())
        print(freeze_import_time_objects(), freeze_import_time_objects(), before, len(gc.get_objects()))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    first, second, before, after = out.stdout.split()
    assert (first, second) == ("True", "False")
    assert int(before) > 50_000  # Streamlit, Plotly, pandas and SciPy: the objects worth freezing
    assert int(after) < int(before) / 10  # gc.get_objects() lists only what later collections visit
