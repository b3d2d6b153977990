"The documentation site, built offline by `tools/build_docs.py`: it executes every notebook (their tests included)."
import os, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT/'tools'))
from browser_check import browser, check
TUTORIALS = {'10_digits_demo': 3, '11_pets': 4, '12_flowers': 2, '13_hotdog': 3, '14_two_class': 1, '15_features': 1, '16_several_gpus': 0,
             '17_clean': 2}
FIG = 'src="data:image/png;base64,'

def _clean_copy(dest:Path)->Path:
    "The files of this checkout that git does not ignore, copied into `dest`: what a fresh clone has, with today's edits"
    try: p = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'], cwd=ROOT, capture_output=True)
    except FileNotFoundError: return ROOT  # no git: build where we are
    if p.returncode: return ROOT  # not a git checkout: build where we are
    for f in filter(None, p.stdout.decode().split('\0')):
        if (ROOT/f).is_file(): (dest/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT/f, dest/f)
    return dest

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "Build the site into a temporary folder; return it with the build's output"
    dest = tmp_path_factory.mktemp('site')
    # Built in a clean copy: the tutorials' outputs left in nbs/ by an earlier run (ignored by git) would hide a notebook
    # that needs a folder only such a run made, which a fresh clone lacks (this passed here and failed in CI, twice).
    root = _clean_copy(tmp_path_factory.mktemp('checkout'))
    p = subprocess.run([sys.executable, root/'tools'/'build_docs.py', '--dest', dest], cwd=root, capture_output=True,
                       text=True, timeout=1800, env=dict(os.environ, MPLBACKEND='Agg'))
    assert p.returncode == 0, (p.stdout + p.stderr)[-4000:]
    return dest, p.stdout

def _executed_page(site, name:str, figs:int)->str:
    "The page of the notebook `name`, checked: executed, `figs` figures or more, no traceback, no directive"
    dest, out = site
    page = (dest/f'{name}.html').read_text()
    assert re.search(rf'^{name}\.html\s+executed', out, re.M), out
    assert page.count(FIG) >= figs, f'{name}: {page.count(FIG)} figures'
    assert 'Traceback' not in page and '#| ' not in page
    return page

@pytest.mark.parametrize('name', TUTORIALS)
def test_tutorial_page(site, name):
    page = _executed_page(site, name, TUTORIALS[name])
    assert 'Tutorial:' in page and 'What you should see' in page
    assert 'git+https://github.com/tl-recipes/tl_recipes' in page  # the install cell shown

def test_index_links_every_page(site):
    dest, _ = site
    pages = sorted(p.name for p in dest.glob('*.html'))
    nbs = sorted(p.stem for p in (ROOT/'nbs').glob('*.ipynb'))
    assert pages == sorted('index.html' if n == 'index' else f'{n}.html' for n in nbs)
    index = (dest/'index.html').read_text()
    for n in TUTORIALS: assert f'href="{n}.html"' in index
    assert 'make test' in index

# Pages of the library's notebooks that show figures: `show_batch`, plots, the report
FIGURES = {'02_data': 1, '05_train': 2, '06_interpret': 3}

@pytest.mark.parametrize('name', FIGURES)
def test_library_page(site, name):
    page = _executed_page(site, name, FIGURES[name])
    assert '<strong>Details</strong>' in page  # `show_doc` cells render their parameters as a table

@pytest.mark.skipif(browser() is None, reason='no chromium on this machine: apt-get install chromium')
def test_pages_in_a_browser(site):
    "Every page as a reader sees it in headless Chromium: each image decodes, the console shows no error"
    dest, _ = site
    pages = sorted(dest.glob('*.html'))
    assert len(pages) > 15
    (dest/'shots').mkdir(exist_ok=True)
    seen = {p.name: check(p, shot=dest/'shots'/f'{p.stem}.png') for p in pages}
    for name, r in seen.items(): assert not r['broken'] and not r['errors'], (name, r)
    assert seen['06_interpret.html']['images'] >= 3
