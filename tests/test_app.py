"""The Gradio app of an export (`export_model(..., app=True)`) as a person uses it: the folder's own `app.py` served on
127.0.0.1 in a Python where torch, fastai and tl_recipes cannot be imported, opened in headless Chromium, an image
uploaded through the page's file input, Submit pressed, and the answer read off the page."""
import os, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest
from PIL import Image
from fastai.torch_core import set_seed
from tl_recipes.all import regex_dls, make_digits, transfer_learner, export_model

sys.path.insert(0, str(Path(__file__).parent.parent/'tools'))
from browser_check import browser, Tab

BLOCKED = ('import sys, runpy; sys.modules.update(torch=None, fastai=None, torchvision=None, timm=None, tl_recipes=None); '
           "runpy.run_path('app.py', run_name='__main__')")  # `python app.py`, with none of those importable

def _free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def _serve(folder:Path, log:Path, timeout:float=90):
    "`app.py` of `folder` serving in a subprocess; its URL once it answers"
    port = _free_port()
    env = {**os.environ, 'GRADIO_SERVER_PORT': str(port), 'GRADIO_ANALYTICS_ENABLED': 'False',
           'GRADIO_TEMP_DIR': str(log.parent/'gradio')}  # where it keeps the uploads
    p = subprocess.Popen([sys.executable, '-c', BLOCKED], cwd=folder, env=env, stdout=log.open('w'), stderr=subprocess.STDOUT)
    url, end = f'http://127.0.0.1:{port}/', time.time() + timeout
    while True:
        if p.poll() is not None: raise RuntimeError(f'app.py ended ({p.returncode}): {log.read_text()[-2000:]}')
        try:
            if urllib.request.urlopen(url, timeout=5).status == 200: return p, url
        except OSError: pass
        if time.time() > end: p.kill(); raise TimeoutError(f'app.py did not answer on {url} in {timeout} s: {log.read_text()[-2000:]}')
        time.sleep(0.5)

@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    "A digits model exported with its app, an image to upload (a validation digit at 256 px, as large on the page as a photo), and what `load_onnx` predicts for it"
    pytest.importorskip('onnxruntime')
    if browser() is None: pytest.skip('no chromium on this machine: apt-get install chromium')
    from tl_recipes.serve import load_onnx
    tmp = tmp_path_factory.mktemp('app')
    set_seed(0)
    learn = transfer_learner(regex_dls(make_digits(n=300), size=32, bs=32, num_workers=0))
    learn.fine_tune_recipe(0, freeze_epochs=3)
    path = export_model(learn, tmp/'digits_space', app=True)
    f = tmp/'upload.png'
    Image.open(learn.dls.valid_ds.items[0]).convert('RGB').resize((256, 256), Image.NEAREST).save(f)
    return path, f, load_onnx(path).predict(f)

def test_app_in_a_browser(exported, tmp_path):
    pytest.importorskip('gradio'); pytest.importorskip('websocket')
    path, f, (label, p, probs) = exported
    server, url = _serve(path, tmp_path/'app.log')
    try:
        with Tab() as tab:
            tab.go(url).wait("document.querySelector('input[type=file]') !== null", 'the upload button')
            assert tab.js('document.title') == 'digits_space'
            tab.upload('input[type=file]', f)
            tab.wait("[...document.images].some(i => i.src.includes('/file=') && i.complete && i.naturalWidth == 256)",
                     'the uploaded image on the page')
            tab.js("[...document.querySelectorAll('button')].find(b => b.innerText.trim() == 'Submit').click()")
            said = tab.wait("[...document.querySelectorAll('textarea')].map(t => t.value).find(v => v)", 'the answer')
            time.sleep(0.5)  # the bars' transition
            text = tab.js('document.body.innerText')
            shot = tab.screenshot(Path(os.environ.get('TL_APP_SHOT', tmp_path/'app.png')))
    finally: server.kill(); server.wait()
    assert said == f'{label} ({p:.1%})'  # what `load_onnx(path).predict` answers for that file
    top = sorted(probs, key=probs.get, reverse=True)[:5]
    assert [c for c in text.split('\n') if c in probs] == top, text  # the bars: the top 5 classes, largest first
    assert shot.stat().st_size > 10_000  # a drawn page
    assert 'Traceback' not in (tmp_path/'app.log').read_text()

NOTEBOOK = {'cells': [{'cell_type': 'code', 'execution_count': None, 'id': 'app', 'metadata': {}, 'outputs': [],
                       'source': ['from tl_recipes.serve import load_onnx, classifier_app\n', '']}],
            'metadata': {'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

def test_classifier_app_in_jupyterlab(exported, tmp_path):
    "`classifier_app` in JupyterLab in headless Chromium: the notebook run, an image chosen with the widget's button, the answer shown"
    pytest.importorskip('jupyterlab'); pytest.importorskip('websocket')
    import json
    path, f, (label, p, probs) = exported
    nb = json.loads(json.dumps(NOTEBOOK)); nb['cells'][0]['source'][1] = f"classifier_app(load_onnx({str(path)!r}), k=3)"
    (tmp_path/'app.ipynb').write_text(json.dumps(nb))
    port, j = _free_port(), tmp_path/'jupyter'
    news = j/'settings'/'@jupyterlab'/'apputils-extension'/'notification.jupyterlab-settings'  # no 'get Jupyter news?' toast
    news.parent.mkdir(parents=True); news.write_text('{"fetchNews": "false"}')
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(j/'config'), 'JUPYTER_RUNTIME_DIR': str(j/'runtime'),
           'JUPYTERLAB_WORKSPACES_DIR': str(j/'workspaces'), 'JUPYTERLAB_SETTINGS_DIR': str(j/'settings')}
    log = tmp_path/'lab.log'
    lab = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--no-browser', f'--port={port}', '--ServerApp.ip=127.0.0.1',
                            '--IdentityProvider.token=t', '--ServerApp.allow_root=True', '--LabApp.expose_app_in_browser=True',
                            f'--ServerApp.root_dir={tmp_path}'], env=env, stdout=log.open('w'), stderr=subprocess.STDOUT,
                           start_new_session=True)  # its kernel too is killed at the end
    try:
        with Tab(height=1000, timeout=120) as tab:
            tab._until(lambda: urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token=t', timeout=5).status == 200
                       or lab.poll() is not None, 'JupyterLab to start')
            assert lab.poll() is None, log.read_text()[-2000:]
            tab.go(f'http://127.0.0.1:{port}/lab/tree/app.ipynb?token=t')
            tab.wait("!!(window.jupyterapp && document.querySelector('.jp-Notebook .jp-Cell'))", 'the notebook')
            for _ in range(8):  # run the cell (again, if the kernel was not ready to run it) until the widget shows
                tab.js("document.querySelector('.jp-Dialog .jp-mod-accept')?.click(), "  # 'Select Kernel': the notebook's own
                       "window.jupyterapp.commands.execute('notebook:run-all-cells'), true")
                try: tab.wait("document.querySelector('.jp-OutputArea .widget-upload') !== null", 'the widget', timeout=15); break
                except TimeoutError: pass
            else: raise TimeoutError(f'the notebook showed no widget: {tab.js("document.body.innerText")[:1500]}')
            tab.choose("document.querySelector('.jp-OutputArea .widget-upload').click()", f)
            said = tab.wait("(document.querySelector('.jp-OutputArea h3') || {}).innerText", 'the answer')
            tab.js("document.querySelector('.jp-Dialog .jp-mod-accept')?.click(), true")
            time.sleep(0.5)
            bars = tab.js("[...document.querySelectorAll('.jp-OutputArea .widget-html-content span')].map(s => s.innerText)")
            shot = tab.screenshot(Path(os.environ.get('TL_WIDGET_SHOT', tmp_path/'widget.png')))
    finally: os.killpg(lab.pid, signal.SIGKILL); lab.wait()
    assert said == f'{label} ({p:.1%})'
    top = sorted(probs, key=probs.get, reverse=True)[:3]
    assert bars == [x for c in top for x in (c, f'{probs[c]:.1%}')], bars  # the top 3, largest first, with their share
    assert shot.stat().st_size > 10_000

def test_app_on_a_tampered_export(exported, tmp_path):
    "`app.py` beside a `model.onnx` that is not ONNX stops at start, its last line naming the file and the fix"
    pytest.importorskip('gradio')
    import shutil
    path, f, _ = exported
    bad = tmp_path/'bad'; shutil.copytree(path, bad); (bad/'model.onnx').write_bytes(b'not a graph')
    p = subprocess.run([sys.executable, '-c', BLOCKED], cwd=bad, capture_output=True, text=True, timeout=120,
                       env={**os.environ, 'GRADIO_SERVER_PORT': str(_free_port()), 'GRADIO_ANALYTICS_ENABLED': 'False'})
    last = p.stderr.strip().splitlines()[-1]
    assert p.returncode != 0 and f'{bad.resolve()/"model.onnx"} is not an ONNX model onnxruntime can run' in last and 'export the model again' in last, p.stderr[-1500:]
