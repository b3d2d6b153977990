"""Execute notebooks with nbclient, as a user's Jupyter or Colab would, without nbdev or execnb (which need fastcore 1).

`make test-latest` runs the tutorials with it on the newest fastai and fastcore. The cells that `nbdev_test` skips are
dropped first: `#| eval: false` (the install cell) and cells flagged with a `tst_flags` flag (`#| slow`). The first
failing cell stops the run, and its error is printed; the exit status is 1. Each notebook runs in a new empty folder, as
on a fresh clone: outputs an earlier run left beside it (its report folder) cannot hide a notebook that needs them.

Run: python tools/run_notebooks.py nbs/1*_*.ipynb
"""
import argparse, re, sys, tempfile, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SKIP = re.compile(r'^#\|\s*(eval:\s*false|slow)\s*$', re.M | re.I)

def run(fn:Path, timeout:int=900)->float:
    "Execute the notebook `fn` in a new empty folder, without the cells `nbdev_test` skips; return the seconds it took"
    nb = nbformat.read(fn, as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == 'code' and SKIP.search(c.source))]
    t = time.time()
    with tempfile.TemporaryDirectory(prefix=fn.stem + '-') as where:
        NotebookClient(nb, timeout=timeout, kernel_name='python3', resources=dict(metadata=dict(path=where))).execute()
    return time.time() - t

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='+', type=Path)
    for fn in ap.parse_args().notebooks:
        try: print(f'{fn.name:<24} executed in {run(fn):.0f} s', flush=True)
        except CellExecutionError as e: sys.exit(f'{fn.name} failed:\n{e}')
