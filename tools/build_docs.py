"""Build the documentation site offline: every notebook executed, then rendered as an HTML page with its outputs.

`nbdev_docs` renders with Quarto, and Quarto's PyPI package (`quarto-cli`) is a source archive that downloads the Quarto
binary from GitHub while it installs: with no network it cannot be installed. This script renders with nbconvert instead.
Every notebook (the library's 00-09, the tutorials, the index) is executed the way `nbdev_test` executes a notebook (same
`CaptureShell`; cells with a `tst_flags` flag, `#| eval: false` or `nbdev_export()` skipped; the first failing cell stops
the build with its traceback), so building the site also runs every notebook's tests; the executed copies, figures and
tables included, become the pages.
`#| hide` cells are left out of the pages; directive lines are removed from the code shown.

Run: python tools/build_docs.py [--dest _docs] [--only GLOB]      (exit status 1 when a tutorial fails)
"""
import argparse, html, inspect, json, re, sys, time, warnings
import yaml
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.process import NBProcessor
from nbdev.frontmatter import FrontmatterProc

def _skip(cell, flags:set)->bool:
    "Whether `nbdev_test` would skip `cell`"
    if cell.cell_type != 'code' or 'nbdev_export'+'(' in cell.source: return True
    direc = getattr(cell, 'directives_', {}) or {}
    return direc.get('eval:', [''])[0].lower() == 'false' or bool(flags & direc.keys())

def execute(fn:Path, flags:set):
    "Run the notebook `fn` as `nbdev_test` does and return it with its outputs; raise with the traceback if a cell fails"
    nb = NBProcessor(fn, procs=FrontmatterProc, process=True).nb
    k = CaptureShell(fn)
    try:
        with working_directory(fn.parent): k.run_all(nb, exc_stop=True, preproc=lambda c: _skip(c, flags))
    except Exception: raise RuntimeError(f'{fn.name} failed:\n{k.prettytb(fname=fn)}') from None
    return nb

WIDGET = 'application/vnd.jupyter.widget-view+json'  # its page script comes from a CDN: a page must read offline
BAR = re.compile(r'\|[█X-]*\| *\d+\.\d+% \[')  # a fastprogress bar, printed as text

def _terminal(text:str)->str:
    "`text` as a terminal shows it: each line what follows its last carriage return, progress bars dropped"
    lines = [l.rsplit('\r', 1)[-1] for l in text.split('\n')]
    return '\n'.join(l for l in lines if not BAR.search(l))

def _front(c)->dict|None:
    "The title and summary of the frontmatter cell `c` (which nbdev makes of the H1 and its `>` line), as Markdown"
    if c.cell_type != 'raw' or not c.source.startswith('---'): return None
    meta = yaml.safe_load(c.source.strip().strip('-')) or {}
    md = f"# {meta.get('title', '')}" + (f"\n\n> {meta['description']}" if meta.get('description') else '')
    return dict(cell_type='markdown', id=f'front-{abs(hash(md)) % 10**8}', metadata={}, source=md)

def _page_cells(nb)->list:
    "The cells of `nb` a reader sees: no `#| hide` cells, no directive lines, no empty cells, no progress bars"
    cells = []
    for c in nb.cells:
        direc = getattr(c, 'directives_', {}) or {}
        if 'hide' in direc or 'nbdev_export'+'(' in c.source: continue
        if (fm := _front(c)): cells.append(fm); continue
        c = {k: v for k, v in dict(c).items() if not k.endswith('_')}
        c['source'] = '\n'.join(l for l in c['source'].splitlines() if not l.startswith('#|')).strip('\n')
        for o in c.get('outputs', []):
            if o.get('output_type') == 'stream': o['text'] = _terminal(''.join(o['text']))
            if WIDGET in o.get('data', {}): o['data'] = {'text/plain': '[an ipywidgets widget: it draws when the notebook runs in Jupyter]'}
        c['outputs'] = [o for o in c.get('outputs', []) if o.get('output_type') != 'stream' or o['text'].strip()]
        if c['source'] or c.get('outputs'): cells.append(c)
    return cells

def _cell(o)->str:
    "`o` as the text of a Markdown table cell: empty for nothing, `|` escaped"
    if o is inspect.Parameter.empty or o is None: return ''
    if callable(o) and not isinstance(o, type) and hasattr(o, '__name__'): return o.__name__  # `accuracy`, not its repr
    return (inspect.formatannotation(o) if isinstance(o, type) else str(o)).replace('|', '\\|')

def _show_doc_md(self)->str:
    "`show_doc` as plain Markdown, which nbconvert renders: the name, the signature, the docstring, a parameter table"
    from fastcore.docments import docments
    try: dm = docments(self.sym, full=True)
    except Exception: dm = {}
    rows = [f"| {'**Returns**' if k == 'return' else k} | {_cell(v['anno'])} | {_cell(v['default'])} | {_cell(v['docment'])} |"
            for k, v in dm.items() if k != 'self' and (k != 'return' or v['anno'] is not inspect.Parameter.empty)]
    tbl = '|  | **Type** | **Default** | **Details** |\n|---|---|---|---|\n' + '\n'.join(rows) if rows else ''
    return f"{'#'*self.title_level} {self.nm}\n\n```python\n{self.dm}\n```\n\n*{self.docs or ''}*\n\n{tbl}"

def _plain_pages():
    "Pages for nbconvert: progress bars not drawn (their last state is noise on a page), `show_doc` as tables"
    import fastprogress.fastprogress as fp, nbdev.showdoc as sd
    fp.NO_BAR = True
    warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated')  # timm's import, on every page
    sd.BasicMarkdownRenderer._repr_markdown_ = _show_doc_md

def render(nb, title:str, nav:str)->str:
    "HTML of the notebook `nb`, with the site's navigation `nav` on top"
    meta = {k: v for k, v in dict(nb.get('metadata', {})).items() if k != 'widgets'}  # no widget state: no CDN script
    d = dict(nbformat=4, nbformat_minor=5, metadata=meta, cells=_page_cells(nb))
    d = nbformat.reads(json.dumps(d), as_version=4)  # as read from disk: multi-line outputs joined, the schema's types
    body, _ = HTMLExporter(template_name='lab').from_notebook_node(d, resources=dict(metadata=dict(name=title)))
    # the template's require.js and MathJax come from a CDN: no page uses them, and a page must read offline
    body = re.sub(r'<script[^>]*src="https://cdnjs[^"]*"[^>]*>\s*</script>', '', body)
    return re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + nav, body, count=1)

def _title(nb, default:str)->str:
    "The H1 title of the notebook `nb`"
    for c in nb.cells:
        md = (_front(c) or {}).get('source') or (c.source if c.cell_type == 'markdown' else '')
        if (m := re.match(r'# (.+)', md)): return m.group(1).strip()
    return default

def main(dest:str='_docs', only:str='*.ipynb'):
    _plain_pages()
    cfg = get_config()
    nbs = sorted(p for p in Path(cfg.nbs_path).glob(only) if not p.name.startswith(('_', '.')))
    flags = set(cfg.get('tst_flags', '').split())
    dest = Path(dest); dest.mkdir(parents=True, exist_ok=True)
    page = lambda p: 'index.html' if p.stem == 'index' else f'{p.stem}.html'
    nav = ('<nav style="padding:8px 16px;border-bottom:1px solid #ddd;font-family:sans-serif;font-size:14px">'
           + ' · '.join(f'<a href="{page(p)}">{html.escape(p.stem)}</a>' for p in nbs) + '</nav>')
    for p in nbs:
        t = time.time()
        nb = execute(p.resolve(), flags)
        (dest/page(p)).write_text(render(nb, _title(nb, p.stem), nav))
        print(f"{page(p):<28} executed in {time.time()-t:.0f} s", flush=True)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dest', default='_docs', help='folder for the HTML pages')
    ap.add_argument('--only', default='*.ipynb', help='glob of the notebooks to build')
    a = ap.parse_args()
    try: main(a.dest, a.only)
    except RuntimeError as e: sys.exit(str(e))
