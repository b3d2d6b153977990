"""The recipe on two processes, as `torchrun` starts them: gloo on the CPU, as NCCL would on two GPUs.

- `tl_train` under `torchrun --nproc_per_node 2 --no-python tl_train ...`: it trains, and only rank 0 writes;
- the recipe in a user's own script inside `learn.distrib_ctx()` (tests/distrib_recipe.py): both processes end with the
  same weights, and the accuracy of one process on the same split;
- processes that see different data stop before training, with one line;
- a process killed in the middle of a run: the run ends in bounded time with a failure, the best checkpoint loadable."""
import json, os, re, shutil, signal, socket, subprocess, sys, textwrap, time
from pathlib import Path
import pytest, torch
from helpers import opt

BIN, TESTS = Path(sys.executable).parent, Path(__file__).parent

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def torchrun(*args, n=2, env=None, timeout=600, popen=False):
    "Run `args` (a console script and its arguments) on `n` processes with `torchrun`, one thread each"
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(n), '--master_port', str(free_port()),
           *map(str, args)]
    env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg', **(env or {}))
    if popen: return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try: out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # a hung run: its processes too, not only torchrun, which would orphan them
        os.killpg(p.pid, signal.SIGKILL); out, err = p.communicate()
        raise AssertionError(f'{args[:2]} on {n} processes did not end in {timeout} s:\n{out[-3000:]}{err[-3000:]}')
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)

# Every write a process makes below TL_TEST_WATCH, and every fork, recorded by an audit hook into TL_TEST_LOG/rank{RANK}.txt
# at exit.
AUDIT = '''
import os, sys, atexit
watch, log = os.environ.get('TL_TEST_WATCH'), os.environ.get('TL_TEST_LOG')
if watch and log and 'RANK' in os.environ:
    writes = []
    def hook(event, args):
        if event == 'open':
            path, mode, flags = args
            w = (any(c in mode for c in 'wax+') if isinstance(mode, str)
                 else bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)))
        elif event in ('os.rename', 'os.link', 'os.symlink'): path, w = args[1], True  # where it goes
        elif event == 'os.mkdir': path, w = args[0], not os.path.isdir(args[0])  # `exist_ok=True` on one there: no write
        elif event in ('os.remove', 'os.rmdir', 'shutil.rmtree'): path, w = args[0], True
        elif event == 'os.fork': writes.append('os.fork'); return  # a DataLoader worker, say
        else: return
        if w and isinstance(path, (str, bytes, os.PathLike)):
            p = os.path.abspath(os.fsdecode(path))
            if p.startswith(watch): writes.append(f'{event} {p}')
    sys.addaudithook(hook)
    rank_log = os.path.join(log, 'rank' + os.environ['RANK'] + '.txt')
    atexit.register(lambda: open(rank_log, 'w').write('\\n'.join(writes)))
'''

# Each rank's memory-format probe (`ActivationCache.last_stage`) told the opposite of the other's: DDP fails at its first
# step unless only rank 0's pick counts (under load, two processes timing the same step disagreed in CI)
SKEW = '''
if os.environ.get('RANK') in ('0', '1'):
    import torch, tl_recipes.cache as cache
    assert hasattr(cache, '_step_time')  # what the probe times: renamed, this test would test nothing
    fast = torch.channels_last if os.environ['RANK'] == '0' else torch.contiguous_format
    cache._step_time = lambda m, xb, yb, loss_func, f: 0.0 if f == fast else 1.0
'''

@pytest.fixture(scope='module')
def digits(tmp_path_factory):
    "500 digits in class folders"
    from tl_recipes.demo import make_digits
    from helpers import to_folders
    return to_folders(make_digits(n=500), tmp_path_factory.mktemp('ddp')/'digits')

TRAIN = ('--size', 48, '--bs', 32, opt('freeze_epochs'), 4, opt('epochs'), 1, '--flip', 'False')

@pytest.mark.parametrize('unfreeze', ['last', 'all'])  # 'all': the whole body under DDP, on the images' `DistributedDL`
def test_tl_train_on_two_processes(digits, tmp_path, unfreeze):
    "`tl_train` unchanged under torchrun: one report, one export, one message, and rank 1 writes nothing"
    (tmp_path/'site').mkdir(); (tmp_path/'site'/'sitecustomize.py').write_text(AUDIT + SKEW); (tmp_path/'log').mkdir()
    env = dict(PYTHONPATH=os.pathsep.join([str(tmp_path/'site'), os.environ.get('PYTHONPATH', '')]),
               TL_TEST_WATCH=str(tmp_path/'run'), TL_TEST_LOG=str(tmp_path/'log'))
    p = torchrun('--no-python', BIN/'tl_train', digits, '--out', tmp_path/'run', *TRAIN, '--unfreeze', unfreeze, env=env)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert 'Error in sitecustomize' not in p.stderr, p.stderr[-3000:]  # Python goes on without the hook and the skew
    assert p.stdout.count('final valid accuracy') == 1 and '2 processes' in p.stdout
    assert p.stdout.count('unfreezing the') == 1  # rank 0's line of what unfreezing gained: rank 1 prints nothing
    acc = float(re.search(r'final valid accuracy (\d\.\d{4})', p.stdout).group(1))
    assert acc >= 0.8  # spread: bench/distributed.md
    assert sorted(f.name for f in tmp_path.iterdir()) == ['log', 'run', 'site']  # no folder left beside `run`
    assert sorted(f.name for f in (tmp_path/'run').iterdir()) == ['model', 'report']
    assert json.loads((tmp_path/'run'/'report'/'recipe.json').read_text())['unfreeze'] == unfreeze
    assert (tmp_path/'run'/'report'/'log_unfrozen.csv').exists()
    w0, w1 = [(tmp_path/'log'/f'rank{r}.txt').read_text() for r in (0, 1)]
    assert '/run/report' in w0 and '/run/model' in w0  # the hook sees rank 0's writes...
    assert w1 == ''  # ...and none of rank 1's
    assert 'os.fork' not in w0  # no DataLoader worker forked beside gloo's threads (`_workers`: one hung in CI)

def _run_script(out, n, seed=42):
    "tests/distrib_recipe.py on `n` processes (1: plain python); its results of rank 0"
    if n == 1:
        env = dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg')
        p = subprocess.run([sys.executable, TESTS/'distrib_recipe.py', out, str(seed)], env=env, capture_output=True,
                           text=True, timeout=600)
    else: p = torchrun(TESTS/'distrib_recipe.py', out, seed, n=n)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return json.loads((Path(out)/'rank0.json').read_text())

@pytest.mark.torch_only  # DDP's equal weights; fastai's `distrib_ctx` on the newest stack: test_tl_train_on_two_processes
def test_recipe_in_distrib_ctx(tmp_path):
    "Inside `learn.distrib_ctx()` every process ends with the same weights, and about the accuracy of one process"
    two, one = _run_script(tmp_path/'two', 2), _run_script(tmp_path/'one', 1)
    w0, w1 = [torch.load(tmp_path/'two'/f'rank{r}.pth') for r in (0, 1)]
    assert list(w0) == list(w1) and all(torch.equal(w0[k], w1[k]) for k in w0)
    assert json.loads((tmp_path/'two'/'rank1.json').read_text())['metrics'] == two['metrics']  # gathered metrics
    # spread: bench/distributed.md
    assert abs(two['metrics']['unfrozen']['accuracy'] - one['metrics']['unfrozen']['accuracy']) <= 0.02 + 1e-6

def test_different_data_stops_before_training(digits, tmp_path):
    "Processes that see different classes fail at once with one line, before any training"
    other = tmp_path/'other'; shutil.copytree(digits, other)
    shutil.rmtree(other/'nine')
    script = tmp_path/'pick.py'  # rank 1 reads `other`: as two machines whose copies of the data differ
    script.write_text(textwrap.dedent(f'''
        import os, sys
        sys.argv[1] = {str(other)!r} if os.environ['RANK'] == '1' else sys.argv[1]
        from tl_recipes.cli import tl_train; tl_train()'''))
    t = time.time()
    p = torchrun(script, digits, '--out', tmp_path/'run', *TRAIN, timeout=300)
    assert p.returncode != 0
    assert 'tl_train: error: the processes see different data: rank 0 has 400 training' in p.stdout + p.stderr
    assert not (tmp_path/'run'/'report').exists() and time.time() - t < 120

def test_killed_process_ends_the_run(digits, tmp_path):
    "Killing rank 1 mid-training ends the run with a failure within seconds; rank 0 keeps its best checkpoint"
    import psutil
    p = torchrun('--no-python', BIN/'tl_train', digits, '--out', tmp_path/'run', '--size', 48, '--bs', 32,
                 '--flip', 'False', opt('freeze_epochs'), 300, opt('epochs'), 0, popen=True)
    try:
        ckpt = tmp_path/'run'/'report'
        deadline = time.time() + 300
        while not list(tmp_path.glob('run/.report.tmp-*/models/best_head.pth')):  # training has begun
            assert p.poll() is None and time.time() < deadline, p.stdout.read()[-3000:]
            time.sleep(0.2)
        rank1 = [c for c in psutil.Process(p.pid).children(recursive=True) if c.environ().get('RANK') == '1']
        assert len(rank1) == 1
        t = time.time(); rank1[0].kill()
        out, _ = p.communicate(timeout=120)
        took = time.time() - t
    finally:
        if p.poll() is None: p.kill()
    assert p.returncode != 0 and took < 60, (took, out[-3000:])
    assert 'tl_train: another process of the run stopped; the best weights so far are in' in out, out[-3000:]
    from tl_recipes.all import transfer_learner, regex_dls  # the kept checkpoint loads
    best = ckpt/'models'/'best_head.pth'
    assert best.exists(), sorted(str(f) for f in tmp_path.rglob('*'))
    sd = torch.load(best, map_location='cpu')
    assert len(sd.get('model', sd)) > 0
