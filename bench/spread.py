"""The spread behind every accuracy bar: each test's training, over seeds and torch thread counts, with a broken-model control.

Float rounding differs between CPUs (and between thread counts), so one seed on one machine says little about another
machine. Each scenario below repeats, with `seed` in place of 42, the training that one test or notebook cell checks
against a bar: the same data, sizes, calls and arguments, in the same order on the learner that is measured. It runs for
every seed and thread count, then once on data whose labels are shuffled at the source (scikit-learn's digits, from
which the demo data and every stand-in are made), which must fail the bar: a bar that a model which learned nothing
passes tests nothing. (A random body is no such control here: on the digits its random features train a head as well as
ImageNet's do.)

What is not repeated: cells that only draw random numbers between a notebook's `set_seed` and its training (`show_batch`,
`param_report` of another model, `interp_report`, checks that call `validate`), so seed 42 here is the notebook's
configuration, not bit for bit its run; the spread over seeds is what the bars rest on.

    python bench/spread.py                      # every scenario but the slow ones, seeds 42 0 1 2 3, threads 1 and 2
    python bench/spread.py cli_train nb05_recipe --seeds 42 7 --threads 2
    python bench/spread.py demo_full nb10_digits_full ddp_last ddp_all    # the slow ones, and the two-process runs
    python bench/spread.py --table runs.json      # the table of runs saved with --json

Prints one line per run, then a table: bar, min, median and max over the runs, the control, and the margins.
"""
import argparse, inspect, io, json, os, re, shutil, socket, subprocess, sys, tempfile, time, warnings
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
os.environ.setdefault('MPLBACKEND', 'Agg')  # as the tests run: figures written, none shown
import torch
from fastai.vision.all import *
from tl_recipes.all import *
from tl_recipes.demo import make_digits
from tl_recipes.cli import tl_train, _train
sys.path.insert(0, str(Path(__file__).resolve().parent.parent/'tests'))
from helpers import to_folders, opt  # test data and the commands' options, not part of the package

warnings.filterwarnings('ignore')
defaults.callbacks = [cb for cb in defaults.callbacks if cb is not ProgressCallback]  # no bars in a log
BIN = Path(sys.executable).parent

def _digits_dls(n, size, seed, **kw):
    "The digits as the notebooks load them: no flips, no random crops, no worker processes"
    return regex_dls(make_digits(n=n), size=size, flip=False, min_scale=1.0, num_workers=0, seed=seed, **kw)

def _tmp(): return Path(tempfile.mkdtemp())

@contextmanager
def shuffled_labels(seed:int=0):
    "Inside, scikit-learn's digits come with their targets shuffled, and tl_recipes makes its data afresh in a new home"
    import sklearn.datasets as skd
    load, home = skd.load_digits, os.environ.get('TL_RECIPES_HOME')
    def shuffled(*args, **kwargs):
        d = load(*args, **kwargs); d.target = np.random.RandomState(seed).permutation(d.target); return d
    skd.load_digits, os.environ['TL_RECIPES_HOME'] = shuffled, str(_tmp())
    try: yield
    finally:
        skd.load_digits = load
        if home is None: del os.environ['TL_RECIPES_HOME']
        else: os.environ['TL_RECIPES_HOME'] = home

# Each scenario: seed -> {metric: value}. BARS: metric -> (bar, where it is asserted, ...).
def nb04_head(seed):
    "04_cache: the head on `ActivationCache(n_aug=1)` for 5 epochs, then a new learner in `cached_body(n_aug=0)` for 3"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    set_seed(seed); learn = transfer_learner(dls)  # ff5dc1ff
    with ActivationCache(learn, n_aug=1) as c, c.head():
        lr = learn.lr_find(show_plot=False).valley
        learn.fit_one_cycle(5, lr)
        head = learn.validate()[1]
    # c3d4e5f7 does not reseed: in the notebook it follows cells 51-56's draws; here the first training's
    learn = transfer_learner(dls)
    with learn.cached_body(n_aug=0):
        learn.fit_one_cycle(3, learn.lr_find(show_plot=False).valley)
    return dict(head=head, cached_body=learn.validate()[1])

def nb05_recipe(seed):
    "05_train: `fine_tune_recipe(3, freeze_epochs=8, cbs=RecipeReport(out))` on 300 digits at 48 px"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    set_seed(seed); learn = transfer_learner(dls)  # 6f2ccf10
    res = learn.fine_tune_recipe(3, freeze_epochs=8, cbs=RecipeReport(_tmp()/'report'))
    m = res['metrics']
    return dict(frozen=m['frozen']['accuracy'], unfrozen=m['unfrozen']['accuracy'],
                unfrozen_gain=m['unfrozen']['accuracy'] - m['frozen']['accuracy'])

def nb05_on_disk(seed):
    "05_train: `fine_tune_recipe(1, freeze_epochs=8, mem_budget=1e6, model_dir=...)`: the cache on disk, 1 unfrozen epoch"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    set_seed(seed); learn = transfer_learner(dls)  # d815470f
    with redirect_stdout(io.StringIO()):
        res = learn.fine_tune_recipe(1, freeze_epochs=8, mem_budget=1e6, model_dir=_tmp()/'best')
    return dict(frozen=res['metrics']['frozen']['accuracy'], unfrozen=res['metrics']['unfrozen']['accuracy'])

def index_example(seed):
    "index: the six-line example, `fine_tune_recipe(1, freeze_epochs=8)` on 500 digits at 48 px (flips, crops, bs 64)"
    set_seed(seed)  # the notebook sets no seed: only the split's, 42 by default
    dls = regex_dls(make_digits(n=500), size=48, num_workers=0, seed=seed)
    res = transfer_learner(dls).fine_tune_recipe(1, freeze_epochs=8)
    return dict(frozen=res['metrics']['frozen']['accuracy'], unfrozen=res['metrics']['unfrozen']['accuracy'])

def nb06a_label_issues(seed):
    "06a_clean: `label_issues` on 300 digits at 48 px with 5% of their labels changed, a copy and an image of noise"
    from PIL import Image
    d = _tmp()/'digits'; shutil.copytree(make_digits(n=300), d)
    f = next(d.glob('*_0007.png')); shutil.copy(f, d/f.name.replace('_0007', '_9007'))  # seven_0007.png, unless shuffled
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(d/'three_9999.png')
    df = flip_labels(d, seed=seed)  # b4e7e707: the notebook's `noisy_digits(42)`
    set_seed(seed)
    dls = df_dls(df, d, fn_col='file', label_col='label', valid_col='is_valid', size=48, flip=False, min_scale=1.0,
                 bs=32, num_workers=0)
    with redirect_stdout(io.StringIO()): issues = label_issues(transfer_learner(dls), seed=seed)
    flipped = set(df.file[df.label != df.true_label])
    top = set(issues.file.map(lambda f: Path(f).name).head(2*len(flipped)))
    return dict(recall=len(flipped & top)/len(flipped))

def nb17_clean(seed):
    "17_clean: `label_issues` on the Pets stand-in with 5% of its labels changed (`flip_labels`), 48 px"
    cfg = tutorial_setup('pets', 'resnet34', 224, offline=True)
    df = flip_labels(cfg.path, pct=0.05, seed=seed)
    dls = df_dls(df, cfg.path, fn_col='file', label_col='label', valid_col='is_valid', size=cfg.size, num_workers=0)
    with redirect_stdout(io.StringIO()): issues = label_issues(transfer_learner(dls, cfg.arch, path=_tmp()))
    flipped = set(df.file[df.label != df.true_label])
    top = set(issues.file.map(lambda f: str(Path(f).relative_to(cfg.path))).head(2*len(flipped)))
    return dict(recall=len(flipped & top)/len(flipped))

def nb07_export(seed):
    "07_export: `fine_tune_recipe(0, freeze_epochs=6)`, exported; its predictions against fastai's (agreement, not accuracy)"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    learn = transfer_learner(dls)  # dbe249d2: no second `set_seed`
    learn.fine_tune_recipe(0, freeze_epochs=6)
    model = load_export(export_model(learn, _tmp()/'digits_model'))
    files = learn.dls.valid_ds.items
    preds, _ = learn.get_preds(dl=learn.dls.test_dl(files))
    ours = torch.stack([model.probs(f) for f in files])
    return dict(agree=(ours.argmax(1) == preds.argmax(1)).float().mean().item())

def nb07a_demo(seed):
    "07a_demo: `digits_demo(n=500, size=48, epochs=1, freeze_epochs=8)`"
    return dict(acc=digits_demo(_tmp()/'report', n=500, size=48, epochs=1, freeze_epochs=8, seed=seed)['accuracy'])

def cli_train(seed):
    "tests/test_cli.py: `tl_train` on 400 digits in class folders at 64 px, 6 frozen epochs, none unfrozen; `tl_predict` on the threes"
    src = to_folders(make_digits(n=400), _tmp()/'digits'); work = _tmp()
    # what `tl_train --size 64 --bs 32 --freeze_epochs 6 --epochs 0 --flip False --device cpu` passes to `_train`:
    # the command's defaults for everything else (its loader and layout options and the recipe's), as argparse gives them
    kw = {k: p.default for k, p in inspect.signature(tl_train).parameters.items() if p.default is not inspect.Parameter.empty}
    kw.update(out=work/'run', size=64, bs=32, freeze_epochs=6, epochs=0, flip=False, device='cpu', seed=seed)
    with redirect_stdout(s := io.StringIO()): _train(src, **kw)
    acc = float(re.fullmatch(r'final valid accuracy (\d\.\d{4})', s.getvalue().strip().splitlines()[-1]).group(1))
    pred = work/'pred'; shutil.copytree(src/'three', pred); (pred/'bad.png').write_text('not an image')  # as test_predict
    df = predict_folder(load_export(work/'run'/'model'), pred, progress=False)
    return dict(acc=acc, cls=(df[df.error == ''].label == 'three').mean())

def demo_subset(seed):
    "tests/test_demo.py: `tl_demo --n 600 --size 48 --freeze_epochs 20 --epochs 1`"
    return dict(acc=digits_demo(_tmp()/'report', n=600, size=48, epochs=1, freeze_epochs=20, seed=seed)['accuracy'])

def _nb10(seed, n, size, epochs, freeze_epochs):
    "10_digits_demo: `fine_tune_recipe(epochs, freeze_epochs=freeze_epochs, cbs=RecipeReport(out))`, then `validate`"
    set_seed(seed); dls = _digits_dls(n, size, seed)
    learn = transfer_learner(dls)
    learn.fine_tune_recipe(epochs, freeze_epochs=freeze_epochs, cbs=RecipeReport(_tmp()/'report'))
    return dict(acc=learn.validate()[1])

def nb10_digits(seed):
    "10_digits_demo (fast path): 600 digits at 48 px, 20 frozen epochs, 1 on the last stage"
    return _nb10(seed, 600, 48, 1, 20)

def nb10_digits_full(seed):
    "10_digits_demo (slow path): all 1,797 digits at 64 px, 10 frozen epochs, up to 3 on the last stage"
    return _nb10(seed, None, 64, 3, 10)

def demo_full(seed):
    "tests/test_demo.py (slow) and 07a_demo (slow): the full demo, 1,797 digits at 64 px, the recipe's defaults"
    return dict(acc=digits_demo(_tmp()/'report', seed=seed)['accuracy'])

def _standin(name, seed, **kw):
    cfg = tutorial_setup(name, offline=True, **kw); set_seed(seed); return cfg

def nb11_pets(seed):
    "11_pets on the stand-in: 4 epochs in `cached_body()`, 2 unfrozen at `slice(1e-6, 1e-4)`, then the recipe (2, 4)"
    cfg = _standin('pets', seed)
    dls = regex_dls(cfg.path, pat=r'^(.+)_\d+\.jpg$', size=cfg.size, seed=seed, num_workers=cfg.num_workers)
    learn = transfer_learner(dls, cfg.arch, path=_tmp())
    with learn.cached_body():
        lr = learn.lr_find(show_plot=False).valley
        learn.fit_one_cycle(4, lr)
    frozen = learn.validate()[1]
    learn.unfreeze()
    learn.lr_find(num_it=40 if cfg.standin else 100, show_plot=False)
    learn.fit_one_cycle(2, slice(1e-6, 1e-4), cbs=KeepBest('accuracy', best=frozen))
    unfrozen = learn.validate()[1]
    learn = transfer_learner(dls, cfg.arch, path=_tmp())
    learn.fine_tune_recipe(2, freeze_epochs=4, cbs=RecipeReport(_tmp()/'recipe'))
    return dict(frozen=frozen, unfrozen_gain=unfrozen - frozen, recipe=learn.validate()[1])

def nb12_flowers(seed):
    "12_flowers on the stand-in: the dense head, 10 epochs at 2e-4 in `cached_body()` with `KeepBest()`"
    cfg = _standin('flowers', seed)
    dls = folder_dls(cfg.path, valid_pct=0.1, seed=seed, size=cfg.size, num_workers=cfg.num_workers)
    learn = transfer_learner(dls, cfg.arch, head='dense', path=_tmp())
    with learn.cached_body(): learn.fit_one_cycle(10, 2e-4, cbs=KeepBest())
    return dict(acc=learn.validate()[1])

def nb13_hotdog(seed):
    "13_hotdog on the stand-in: the linear head, all unfrozen, SGD, `fit(5)` with the head at 10x 2e-4, 56 px, batches of 16"
    cfg = _standin('hotdog', seed, standin_size=56); presize = cfg.size*256//224
    bs, lr = (16, 2e-4) if cfg.standin else (128, 5e-5*128)
    dls = folder_dls(cfg.path, 'train', 'test', size=cfg.size, presize=presize, min_scale=0.08, flip=True,
                     valid_scale=cfg.size/presize, bs=bs, num_workers=cfg.num_workers)
    learn = transfer_learner(dls, cfg.arch, head='linear', path=_tmp(), opt_func=partial(SGD, mom=0.9))
    learn.unfreeze()
    lrs = np.array([lr]*(len(learn.splitter(learn.model)) - 1) + [10*lr])
    learn.fit(5, lrs, wd=1e-3, cbs=KeepBest())
    return dict(acc=learn.validate()[1])

def nb14_two_class(seed):
    "14_two_class on the stand-in: the linear head, 20 epochs in `cached_body()` at `lr_find`'s valley, best by accuracy"
    cfg = _standin('hymenoptera', seed)
    dls = folder_dls(cfg.path, 'train', 'val', size=cfg.size, num_workers=cfg.num_workers)
    out = _tmp(); learn = transfer_learner(dls, cfg.arch, head='linear', path=out)
    with learn.cached_body():
        learn.fit_one_cycle(20, learn.lr_find(show_plot=False).valley,
                            cbs=[KeepBest('accuracy'), CSVLogger(str((out/'log.csv').resolve()))])
    return dict(acc=learn.validate()[1])

def nb15_features(seed):
    "15_features on the stand-in: `ActivationCache(n_aug=0).features()` once, then a small classifier for 30 epochs"
    cfg = _standin('cats_dogs', seed)
    dls = folder_dls(cfg.path, 'train', 'validation', size=cfg.size, num_workers=cfg.num_workers)
    learn = transfer_learner(dls, cfg.arch)
    with ActivationCache(learn, n_aug=0) as c: trn, val = c.features()
    fdls = DataLoaders.from_dsets(list(zip(*trn)), list(zip(*val)), bs=20)
    clf = nn.Sequential(nn.Linear(trn[0].shape[1], 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, dls.c))
    flearn = Learner(fdls, clf, loss_func=CrossEntropyLossFlat(), metrics=accuracy, path=_tmp())
    flearn.recorder.train_metrics = True
    flearn.fit_one_cycle(30, flearn.lr_find(show_plot=False).valley)
    return dict(acc=flearn.validate()[1])

def _ddp(seed, *extra):
    "`tl_train` on 500 digits in class folders on two `torchrun` processes of one thread each, as tests/test_distributed.py"
    src = to_folders(make_digits(n=500), _tmp()/'digits')
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', 2, '--master_port', port, '--no-python',
           BIN/'tl_train', src, '--out', _tmp()/'run', '--size', 48, '--bs', 32, opt('freeze_epochs'), 4, opt('epochs'), 1,
           '--flip', 'False', '--seed', seed, *extra]
    p = subprocess.run(list(map(str, cmd)), env=dict(os.environ, OMP_NUM_THREADS='1', MPLBACKEND='Agg'),
                       capture_output=True, text=True, timeout=900)
    if p.returncode: raise RuntimeError(p.stdout[-3000:] + p.stderr[-3000:])
    return dict(acc=float(re.search(r'final valid accuracy (\d\.\d{4})', p.stdout).group(1)))

def ddp_last(seed):
    "tests/test_distributed.py (unfreeze='last') and 16_several_gpus: two processes, 4 frozen epochs, 1 on the last stage"
    return _ddp(seed)

def ddp_all(seed):
    "tests/test_distributed.py (unfreeze='all'): two processes, the whole body unfrozen under DDP for 1 epoch"
    return _ddp(seed, '--unfreeze', 'all')

ddp_last.threads = ddp_all.threads = (1,)  # one thread per process, set by OMP_NUM_THREADS: no thread loop
SLOW = ['demo_full', 'nb10_digits_full', 'ddp_last', 'ddp_all']  # run only when named

# The bars as they stand in the tests: scenario -> {metric: (bar, where[, control[, op]])}. A value passes if `value op
# bar` (op '>=' unless given; '>' where the test asserts a strict inequality); control False where no control applies.
BARS = dict(
    nb04_head=dict(head=(0.8, '04_cache ebc8b129: ActivationCache(n_aug=1).head(), 5 epochs', True, '>'),
                   cached_body=(0.8, '04_cache d4e5f6a8: cached_body(n_aug=0), 3 epochs', True, '>')),
    nb05_recipe=dict(frozen=(0.8, '05_train f413dbff: fine_tune_recipe(3, freeze_epochs=8), frozen', True, '>'),
                     unfrozen_gain=(0.0, '05_train f413dbff: unfrozen >= frozen (no control: a difference)', False)),
    nb05_on_disk=dict(unfrozen=(0.8, '05_train e5c05f61: fine_tune_recipe(1, freeze_epochs=8, mem_budget=1e6), unfrozen',
                                True, '>')),
    index_example=dict(frozen=(0.8, 'index 61dfa6f4: the six-line example, frozen', True, '>')),
    nb06a_label_issues=dict(recall=(0.7, '06a_clean bc44f63d: recall of the changed labels among the top 2N rows')),
    nb17_clean=dict(recall=(0.8, '17_clean ed417706: recall of the changed labels among the top 2N rows (the stand-in)')),
    nb07_export=dict(agree=(0.9, '07_export 265833f6: exported model agrees with get_preds (no control: agreement)', False)),
    nb07a_demo=dict(acc=(0.8, '07a_demo 9b17791d: digits_demo(n=500)', True, '>')),
    cli_train=dict(acc=(0.8, 'test_cli: test_train'), cls=(0.85, "test_cli: test_predict on 'three'")),
    demo_subset=dict(acc=(0.85, 'test_demo: test_demo_subset')),
    nb10_digits=dict(acc=(0.85, '10_digits_demo cdaae0a0: fast path')),
    nb11_pets=dict(frozen=(0.9, '11_pets 6b584e82: frozen'),
                   unfrozen_gain=(0.0, '11_pets 6b584e82: unfreezing loses nothing (no control: a difference)', False),
                   recipe=(0.9, '11_pets 6b584e82: the recipe')),
    nb12_flowers=dict(acc=(0.8, '12_flowers f32c2d43')),
    nb13_hotdog=dict(acc=(0.8, '13_hotdog 08f9f364')),
    nb14_two_class=dict(acc=(0.85, '14_two_class 88d6c860')),
    nb15_features=dict(acc=(0.9, '15_features 73748001')),
    demo_full=dict(acc=(0.9, 'test_demo (slow) / 07a_demo 314fb834 (slow): the full demo')),
    nb10_digits_full=dict(acc=(0.9, '10_digits_demo cdaae0a0 (slow): all digits')),
    ddp_last=dict(acc=(0.8, "test_distributed: test_tl_train_on_two_processes[last] / 16_several_gpus d25142cb")),
    ddp_all=dict(acc=(0.8, "test_distributed: test_tl_train_on_two_processes[all]")),
)

def _passes(v, bar, op): return v > bar if op == '>' else v >= bar

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('names', nargs='*', default=[n for n in BARS if n not in SLOW])
    p.add_argument('--seeds', nargs='+', type=int, default=[42, 0, 1, 2, 3])
    p.add_argument('--threads', nargs='+', type=int, default=[1, 2])
    p.add_argument('--json', default=None, help='also write the runs to this JSON file')
    p.add_argument('--table', nargs='+', default=None, help='print the table of the runs in these JSON files, run nothing')
    a = p.parse_args()
    runs = [r for f in a.table or [] for r in json.loads(Path(f).read_text())]
    if a.table: a.names = [n for n in BARS if any(r['name'] == n for r in runs)]
    for name in ([] if a.table else a.names):
        f = globals()[name]
        threads = getattr(f, 'threads', a.threads)
        for t in threads:
            for s in a.seeds:
                torch.set_num_threads(t); t0 = time.time()
                runs.append(dict(name=name, seed=s, threads=t, control=False, **f(s)))
                print(json.dumps(runs[-1] | dict(seconds=round(time.time()-t0, 1))), flush=True)
        torch.set_num_threads(max(threads)); t0 = time.time()
        with shuffled_labels(): runs.append(dict(name=name, seed=a.seeds[0], threads=max(threads), control=True, **f(a.seeds[0])))
        print(json.dumps(runs[-1] | dict(seconds=round(time.time()-t0, 1))), flush=True)
        if a.json: Path(a.json).write_text(json.dumps(runs, indent=1))
    print('\n| where the bar is | scenario | metric | bar | runs | min | median | max | shuffled labels |')
    print('|---|---|---|---|---|---|---|---|---|')
    for name in a.names:
        for metric, (bar, where, *rest) in BARS[name].items():
            control, op = (rest + [True, '>='][len(rest):])[:2]  # defaults: a control applies, `>=`
            v = sorted(r[metric] for r in runs if r['name'] == name and not r['control'] and metric in r)
            c = [r[metric] for r in runs if r['name'] == name and r['control'] and metric in r]
            if not v: continue
            safe = _passes(v[0], bar, op) and (not control or (bool(c) and not _passes(c[0], bar, op)))
            print(f"| {where} | {name} | {metric} | {op} {bar} | {len(v)} | {v[0]:.4f} | {v[len(v)//2]:.4f} | {v[-1]:.4f} | "
                  f"{f'{c[0]:.4f}' if c else '-'}{'' if safe else ' **bar not safe**'} |")

if __name__ == '__main__': main()
