"""Execute notebooks with nbclient, as a user's Jupyter or Colab would, without nbdev or execnb (which need fastcore 1).

`make test-latest` runs the tutorials with it on the newest fastai and fastcore. The cells that `nbdev_test` skips are
not run: `#| eval: false` (the install cell), cells flagged with a `tst_flags` flag (`#| slow`), and `nbdev_export()`. The first failing
cell stops the run, and its error is printed; the exit status is 1. Each notebook runs in a new empty folder, as on a
fresh clone: outputs an earlier run left beside it (its report folder) cannot hide a notebook that needs them.

With `--save` the outputs are written back into the notebooks, for a reader on GitHub or in Colab to see before running
anything (`make outputs`): figures, tables, training logs. Only noise is dropped: progress bars, warnings, execution
counts.

Library notebooks read `../tests` and run where they are: `--here`.

Run: python tools/run_notebooks.py [--save] [--here] nbs/1*_*.ipynb
"""
import argparse, os, re, sys, tempfile, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SKIP = re.compile(r'^#\|\s*(eval:\s*false|slow)\s*$', re.M | re.I)

def _noise(o)->bool:
    "Whether the output `o` is noise: a progress bar, a warning or other standard-error text"
    if o.get('output_type') == 'stream': return o.get('name') == 'stderr'
    html = ''.join(o.get('data', {}).get('text/html', ''))
    empty = o.get('output_type') == 'display_data' and 'text/html' in o.get('data', {}) and html.strip() in ('', '<div></div>')
    return empty or '<progress' in html or 'progress-bar' in html  # an empty display: a finished progress bar

def run(fn:Path, save:bool=False, here:bool=False, timeout:int=900)->float:
    "Execute `fn` in a new empty folder (`here`: in its own, as `nbdev_test`), less the cells `nbdev_test` skips; return seconds"
    nb = nbformat.read(fn, as_version=4)
    keep = {i for i, c in enumerate(nb.cells) if not (c.cell_type == 'code' and (SKIP.search(c.source) or 'nbdev_export(' in c.source))}
    run_nb = nbformat.v4.new_notebook(metadata=nb.metadata, cells=[c for i, c in enumerate(nb.cells) if i in keep])
    t = time.time()
    with tempfile.TemporaryDirectory(prefix=fn.stem + '-') as where:
        if here: where = str(fn.parent.resolve())
        NotebookClient(run_nb, timeout=timeout, kernel_name='python3', resources=dict(metadata=dict(path=where))).execute()
    if save:
        ran = iter(run_nb.cells)
        for i, c in enumerate(nb.cells):
            done = next(ran) if i in keep else None
            if c.cell_type != 'code': continue
            c.execution_count, c.outputs = None, [o for o in done.outputs if not _noise(o)] if done else []
            for o in c.outputs:
                if 'execution_count' in o: o.execution_count = None  # as nbdev_clean leaves them
        nbformat.write(nb, fn)
    return time.time() - t

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='+', type=Path)
    ap.add_argument('--save', action='store_true', help='write the outputs back into the notebooks')
    ap.add_argument('--here', action='store_true', help="run each in its own folder, as nbdev_test does (the library's)")
    args = ap.parse_args()
    os.environ['MPLBACKEND'] = 'module://matplotlib_inline.backend_inline'  # figures inline, as in Jupyter, whatever `make` set
    for fn in args.notebooks:
        try: print(f'{fn.name:<24} executed in {run(fn, args.save, args.here):.0f} s', flush=True)
        except CellExecutionError as e: sys.exit(f'{fn.name} failed:\n{e}')
