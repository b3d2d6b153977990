"""A careless or hostile user (issue 16): bad arguments, tampered exports, two runs at once, kills, a full disk, odd names.

Each test is one case of the checklist; `bench/hostile.py` runs them all and prints how many hold. The model `tl_train`
made once (`trained` in conftest.py) serves the cases that need one. A case runs the command in a fresh process where a
process is what it is about: signals, kills, a second run beside a live one, what a terminal prints, a disk that fills
during training (with whatever the interpreter prints as it exits). The others run the command's script in this process
(`call`), which is the same code without 12 s of imports."""
import json, os, shutil, signal, subprocess, sys, time
from contextlib import contextmanager
from pathlib import Path
import pandas as pd
import pytest
from helpers import BIN, opt, run, start, call
FE, E = opt('freeze_epochs'), opt('epochs')

def _one_line_error(p, cmd, *want):
    "The process `p` ended with status 1 and one line `cmd: error: ...` holding each of `want`, no traceback"
    assert p.returncode == 1, (p.returncode, p.stderr[-1500:])
    assert 'Traceback' not in p.stderr, p.stderr[-1500:]
    line = p.stderr.strip().splitlines()[-1]
    assert line.startswith(f'{cmd}: error: ') and all(w in line for w in want), line

@pytest.fixture(scope='module')
def model(trained, tmp_path_factory):
    "The digits in class folders and the model `tl_train` made of them (conftest.py), and a table of predictions"
    tmp, src, p = trained
    assert p.returncode == 0, p.stderr[-2000:]
    p = call('tl_predict', tmp/'run'/'model', src/'three', '--csv', tmp/'good.csv', home=tmp/'home')
    assert p.returncode == 0, p.stderr[-2000:]
    return tmp, src

# 2. a bad argument is refused before anything is written
@pytest.mark.parametrize('args, want', [(['--bs', -1], 'bs=-1: pass a whole number of at least 1'),
                                        (['--k', 0], 'k=0: pass a whole number of at least 1')])
def test_predict_bad_argument_keeps_results(model, args, want):
    tmp, src = model
    before = (tmp/'good.csv').read_bytes()
    p = call('tl_predict', tmp/'run'/'model', src/'three', '--csv', tmp/'good.csv', *args, home=tmp/'home')
    _one_line_error(p, 'tl_predict', want)
    assert (tmp/'good.csv').read_bytes() == before

@pytest.mark.parametrize('args, want', [(['--size', 0], 'size=0: pass a whole number of at least 1'),
                                        (['--bs', 0], 'bs=0: pass'), ([FE, 0], 'freeze_epochs=0: pass'),
                                        (['--pat', '('], "pat='(' is not a regular expression"),
                                        (['--arch', 'resnet9000'], "arch='resnet9000' is not an architecture here"),
                                        (['--unfreeze', 'top'], "unfreeze='top': use 'all'"),
                                        (['--unfreeze', '0'], "unfreeze=0: use 'all'"),  # a number, not the text '0'
                                        (['--unfreeze', '9'], "unfreeze=9: this EfficientNet has 7 groups of blocks")])
def test_train_bad_argument_writes_nothing(model, tmp_path, args, want):
    tmp, src = model
    p = call('tl_train', src, '--out', tmp_path/'out', *args, home=tmp/'home')
    _one_line_error(p, 'tl_train', want)
    assert not (tmp_path/'out').exists()

# 3. model.json is checked at load
@pytest.mark.parametrize('field, value, want', [('presize', 100000, 'presize = 100000 is not a whole number of pixels'),
                                                ('vocab', 'abc', 'vocab = "abc" is not a list'),
                                                ('arch', 'hf-hub:timm/resnet18.a1_in1k', 'cannot be built here'),
                                                ('size', None, "has no 'size'")])
@pytest.mark.own_code
def test_tampered_model_json(model, tmp_path, field, value, want):
    tmp, src = model
    m = tmp_path/'m'; shutil.copytree(tmp/'run'/'model', m)
    meta = json.loads((m/'model.json').read_text())
    meta.pop(field) if value is None else meta.update({field: value})
    (m/'model.json').write_text(json.dumps(meta))
    t = time.time()
    p = call('tl_predict', m, src/'three', home=tmp/'home')
    _one_line_error(p, 'tl_predict', want)
    assert time.time() - t < 20  # no network retries (the hf-hub name went to the network for ~23 s)

# 3. the ONNX export is checked at load too (issue 25): by `tl_predict --onnx`, without a traceback
@pytest.fixture(scope='module')
def onnx_export(model, tmp_path_factory):
    "An export with `model.onnx` of a learner on the digits at 32 px, and another at 48 px"
    from tl_recipes.all import transfer_learner, image_dls, export_model
    tmp, src = model
    d = tmp_path_factory.mktemp('onnx')
    for n, size in (('m', 32), ('other', 48)):
        export_model(transfer_learner(image_dls(src, size=size, num_workers=0)), d/n, onnx=True)
    return d

@pytest.mark.parametrize('tamper, want', [
    (lambda m, d: (m/'model.onnx').write_bytes(b'not a graph'), 'model.onnx is not an ONNX model onnxruntime can run'),
    (lambda m, d: shutil.copy(d/'other'/'model.onnx', m/'model.onnx'), 'model.onnx does not fit'),
    (lambda m, d: (m/'model.onnx').unlink(), 'model.onnx is missing'),
    (lambda m, d: (m/'model.json').write_text(json.dumps({**json.loads((m/'model.json').read_text()), 'temperature': -1})),
     'temperature = -1 is not valid')])
@pytest.mark.own_code
def test_tampered_onnx_export(model, onnx_export, tmp_path, tamper, want):
    tmp, src = model
    m = tmp_path/'m'; shutil.copytree(onnx_export/'m', m); tamper(m, onnx_export)
    p = call('tl_predict', m, src/'three', '--onnx', home=tmp/'home')
    _one_line_error(p, 'tl_predict', want)

# 4. two runs into one folder
@pytest.mark.own_code
def test_second_run_into_a_live_folder_is_refused(model, tmp_path):
    tmp, src = model
    first = start('tl_train', src, '--out', tmp_path/'out', '--size', 32, FE, 50, E, 0,
                   '--device', 'cpu', home=tmp/'home')
    try:
        for _ in range(600):
            if (tmp_path/'out'/'.report.lock').exists() or first.poll() is not None: break
            time.sleep(0.1)
        assert first.poll() is None, first.stderr.read()[-1500:]
        p = call('tl_train', src, '--out', tmp_path/'out', '--size', 32, '--device', 'cpu', home=tmp/'home')
        _one_line_error(p, 'tl_train', 'is in use by another run (process', str(first.pid))
    finally: first.kill(); first.wait()
    # 7. killed runs leave a stale lock, which the next run takes over
    assert (tmp_path/'.out.lock').exists()  # beside the folder it locks
    p = call('tl_train', src, '--out', tmp_path/'out', '--size', 32, '--bs', 16, FE, 1, E, 0,
            '--device', 'cpu', home=tmp/'home')
    assert p.returncode == 0, p.stderr[-1500:]
    assert not (tmp_path/'.out.lock').exists() and not (tmp_path/'out'/'.report.lock').exists()

# 7. Ctrl-C: one line saying where the best weights are, status 130
def test_ctrl_c_is_one_line(model, tmp_path):
    tmp, src = model
    p = start('tl_train', src, '--out', tmp_path/'out', '--size', 32, FE, 2, E, 300, '--patience', 0,
               '--device', 'cpu', home=tmp/'home')
    logged = lambda: [len(f.read_text().splitlines()) for f in (tmp_path/'out').glob('.report.tmp-*/log_unfrozen.csv')]
    for _ in range(1200):  # the recipe writes into a new folder beside `out/report` until it ends
        if any(n >= 3 for n in logged()) or p.poll() is not None: break  # two unfrozen epochs done: mid-stage
        time.sleep(0.1)
    assert p.poll() is None, 'the run ended before the unfrozen stage was seen'
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=120)[1]
    assert p.returncode == 130, err[-1500:]
    assert 'Traceback' not in err
    assert err.strip().splitlines()[-1] == f"tl_train: interrupted; the best weights so far are in {tmp_path/'out'/'report'/'models'}"
    log = pd.read_csv(tmp_path/'out'/'report'/'log_unfrozen.csv')  # what was done is kept: the epochs finished so far
    assert len(log) < 300 and (tmp_path/'out'/'report'/'models'/'best.pth').exists()

# 7. a full disk: one line naming the cause (a 1 MB tmpfs; needs root, as on these machines)
@contextmanager
def _tmpfs(folder, opts):
    "A tmpfs mounted with `opts` on the new `folder` for the block; the test is skipped where mounting is not allowed"
    folder.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', opts, 'tmpfs', folder], capture_output=True).returncode:
        pytest.skip('cannot mount a tmpfs here (not root)')
    try: yield folder
    finally: subprocess.run(['umount', folder])

@pytest.mark.own_code
def test_full_disk_is_one_line(model, tmp_path):
    tmp, src = model
    with _tmpfs(tmp_path/'small', 'size=1m') as small:
        p = run('tl_train', src, '--out', small/'out', '--size', 32, '--bs', 16, FE, 1, E, 0,  # a fresh process: all it prints
                '--device', 'cpu', home=tmp/'home')
    _one_line_error(p, 'tl_train', 'no space left on the device')

# 9. odd names and labels
@pytest.mark.own_code
def test_a_name_not_in_utf8_costs_no_row(model, tmp_path):
    tmp, src = model
    files = sorted((src/'three').iterdir())[:3]
    for f in files: shutil.copy(f, tmp_path/f.name)
    shutil.copy(files[0], tmp_path/os.fsdecode(b'odd-\xff.png'))
    p = run('tl_predict', tmp/'run'/'model', tmp_path, '--csv', tmp_path/'out.csv', home=tmp/'home')
    assert p.returncode == 0, p.stderr[-1500:]
    df = pd.read_csv(tmp_path/'out.csv', keep_default_na=False)
    assert len(df) == 4 and (df.error == '').all()
    assert all(json.loads(t) for t in df.top_k)  # top_k is JSON: labels with any characters round-trip

@pytest.mark.own_code
def test_csv_file_with_two_labels_is_an_error(model, tmp_path):
    tmp, src = model
    rows = [(f'three/{f.name}', 'three') for f in sorted((src/'three').iterdir())]
    rows += [(f'seven/{f.name}', 'seven') for f in sorted((src/'seven').iterdir())] + [(rows[0][0], 'seven')]
    pd.DataFrame(rows, columns=['name', 'label']).to_csv(src/'labels.csv', index=False)
    try: p = call('tl_train', src, '--csv', 'labels.csv', '--out', tmp_path/'out', '--size', 32, home=tmp/'home')
    finally: (src/'labels.csv').unlink()
    _one_line_error(p, 'tl_train', '1 files are listed with different labels', rows[0][0])

@pytest.mark.own_code
def test_read_only_folder_is_one_line(model, tmp_path):
    tmp, src = model
    with _tmpfs(tmp_path/'ro', 'size=1m,ro') as ro:
        p = call('tl_train', src, '--out', ro/'out', '--size', 32, FE, 1, E, 0, home=tmp/'home')
    _one_line_error(p, 'tl_train', 'read-only file system', str(tmp_path/'ro'/'out'))

# 6. an export killed at any moment leaves the earlier model, and the next export removes what it left
KILLED_EXPORT = '''
import sys
from tl_recipes.all import *
import tl_recipes.export as ex
defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # stdout: 'ready' alone
learn = transfer_learner(regex_dls(sys.argv[1], size=32, num_workers=0))
# the checks before the first write (parity, calibration) skipped, so that the kills land among the writes
figs = ex._valid_figures(learn); ex._valid_figures = lambda l: figs
ex._check_parity = lambda l, tm: dict(images=0, max_diff=0., labels_agree=1.)
print('ready', flush=True)
while True: export_model(learn, sys.argv[2], app=sys.argv[3] == 'app')
'''

@pytest.mark.own_code
@pytest.mark.parametrize('delay, app', [(0.05, ''), (0.2, ''), (0.5, ''), (1.5, 'app'), (4., 'app')])  # app: ONNX, the card, app.py
def test_killed_export_leaves_a_model(model, tmp_path, delay, app):
    tmp, src = model
    dest = tmp_path/'model'
    shutil.copytree(tmp/'run'/'model', dest)
    before = {f.name for f in dest.iterdir()}
    p = subprocess.Popen([sys.executable, '-c', KILLED_EXPORT, str(src), str(dest), app], stdout=subprocess.PIPE, text=True,
                         env=dict(os.environ, TL_RECIPES_HOME=str(tmp/'home')))
    try:
        assert p.stdout.readline().strip() == 'ready'
        time.sleep(delay)
    finally: p.kill(); p.wait()  # a failed start leaves no process exporting in a loop
    from tl_recipes.export import load_export as load_model
    from tl_recipes.core import _clean_debris
    _clean_debris(dest)  # what the next export does first
    assert [f.name for f in tmp_path.iterdir()] == ['model']  # no debris left beside it
    assert {f.name for f in dest.iterdir()} in (before, before | ({'model.onnx', 'serve.py', 'pixels.py', 'app.py', 'requirements.txt'}
                                                                  if app else set()))  # the old export or a whole new one
    assert load_model(dest).predict(sorted((src/'three').iterdir())[0])[0] in load_model(dest).vocab
