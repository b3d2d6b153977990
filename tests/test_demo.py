"The demo as a user runs it: the `tl_demo` console script in a fresh process, offline."
import json, os, re, subprocess, sys
from pathlib import Path
import pytest
from helpers import opt, call

BIN = Path(sys.executable).parent

def run_demo(tmp_path, *args):
    "Run `tl_demo` with data under `tmp_path`; return the completed process"
    env = dict(os.environ, TL_RECIPES_HOME=str(tmp_path/'home'), MPLBACKEND='Agg')
    return subprocess.run([BIN/'tl_demo', '--out', str(tmp_path/'report'), *args], env=env,
                          capture_output=True, text=True, timeout=900)

def final_accuracy(stdout):
    "The accuracy on the last line, which must read `final valid accuracy 0.XXXX`"
    m = re.fullmatch(r'final valid accuracy (\d\.\d{4})', stdout.strip().splitlines()[-1])
    assert m, f'last line is {stdout.strip().splitlines()[-1]!r}'
    return float(m.group(1))

def test_demo_subset(tmp_path):
    p = run_demo(tmp_path, '--n', '600', '--size', '48', opt('freeze_epochs'), '20', opt('epochs'), '1')
    assert p.returncode == 0, p.stderr[-3000:]
    assert final_accuracy(p.stdout) >= 0.85  # spread: bench/spread.md, demo_subset
    out = tmp_path/'report'
    for f in ['lr_find_frozen.png', 'top_losses.png', 'grad_cam.png', 'confusion_matrix.png', 'curves_frozen.png',
              'curves_unfrozen.png', 'log_frozen.csv', 'log_unfrozen.csv', 'items.csv', 'per_class.csv',
              'most_confused.png', 'most_confused.csv', 'calibration.png', 'recipe.json', 'report.html', 'model/model.safetensors', 'model/model.json']:
        assert (out/f).stat().st_size > 0, f
    assert len(list((tmp_path/'home'/'digits_600').glob('*.png'))) == 600
    meta = json.loads((out/'model/model.json').read_text())
    assert meta['vocab'] == sorted('zero one two three four five six seven eight nine'.split())
    recipe = json.loads((out/'recipe.json').read_text())
    assert set(recipe['metrics']) == {'frozen', 'unfrozen'}
    assert re.search(r"reloaded model: \w+_\d+\.png is '\w+' with probability 0\.\d{4}", p.stdout)
    assert 'frozen stage: valid accuracy' in p.stdout and 'unfrozen stage: valid accuracy' in p.stdout
    assert re.search(r'unfreezing the last stage: (no better accuracy|accuracy 0\.\d{4} -> )', p.stdout)
    assert '\r' not in p.stdout  # no progress bars in a log

def test_demo_help(tmp_path):
    p = call('tl_demo', '--help', home=tmp_path)  # its script in this process (tests/helpers.py), as the next
    assert p.returncode == 0
    assert opt('freeze_epochs') in p.stdout and 'on the digits, offline' in p.stdout

def test_demo_bad_argument(tmp_path):
    p = call('tl_demo', '--out', tmp_path/'report', '--size', 'big', home=tmp_path/'home')
    assert p.returncode != 0
    assert 'size' in p.stderr

@pytest.mark.slow
def test_demo_full(tmp_path):
    "All 1,797 digits at 64 px (about a minute on 2 cores)"
    p = run_demo(tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert final_accuracy(p.stdout) >= 0.9  # spread: bench/spread.md, demo_full
