"""README.md from nbs/index.ipynb, as a reader of the docs page sees it: no `#| hide` cell, no directive line.

`nbdev_readme` would need Quarto, which cannot be installed offline; this renders with nbconvert's Markdown exporter.
Run: python tools/readme.py > README.md
"""
import re, sys
import nbformat
from nbconvert import MarkdownExporter

DIRECTIVE = re.compile(r'^#\|.*\n?', re.M)

def readme(fn='nbs/index.ipynb')->str:
    "The Markdown of the notebook `fn` without its hidden cells, directive lines and progress bars"
    nb = nbformat.read(fn, as_version=4)
    nb.metadata.setdefault('language_info', {})['name'] = 'python'  # code blocks marked as Python
    nb.cells = [c for c in nb.cells if not re.search(r'^#\|\s*hide\s*$', c.source, re.M)]
    for c in nb.cells:
        if c.cell_type == 'code': c.source = DIRECTIVE.sub('', c.source)
    md, _ = MarkdownExporter(exclude_input_prompt=True, exclude_output_prompt=True).from_notebook_node(nb)
    return re.sub(r'\n{3,}', '\n\n', md).strip() + '\n'

if __name__ == '__main__': sys.stdout.write(readme(*sys.argv[1:]))
