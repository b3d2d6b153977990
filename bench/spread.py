"""The spread behind every accuracy bar: each test's training, over seeds and torch thread counts, with a broken-model control.

Float rounding differs between CPUs (and between thread counts), so one seed on one machine says little about another
machine. Each scenario below repeats, with `seed` in place of 42, the training that one test or notebook cell checks
against a bar. It runs for every seed and thread count, then once on data whose labels are shuffled at the source
(scikit-learn's digits, from which the demo data and every stand-in are made), which must fall below the bar: a bar
that a model which learned nothing passes tests nothing. (A random body is no such control here: on the digits its
random features train a head as well as ImageNet's do, measured 0.98 against 0.90 on `nb05_frozen`.)

    python bench/spread.py                      # every scenario, seeds 42 0 1 2 3, threads 1 and 2
    python bench/spread.py cli_train nb05_frozen --seeds 42 7 --threads 2
    python bench/spread.py --table runs.json      # the table of runs saved with --json

Prints one line per run, then a table: bar, min, median and max over the runs, the control, and the margins.
"""
import argparse, json, os, sys, tempfile, time, warnings
from contextlib import contextmanager
from pathlib import Path
import torch
from fastai.vision.all import *
from tl_recipes.all import *
sys.path.insert(0, str(Path(__file__).resolve().parent.parent/'tests'))
from helpers import to_folders  # test data, not part of the package
from tl_recipes.cli import _train, _bars

warnings.filterwarnings('ignore')
defaults.callbacks = [cb for cb in defaults.callbacks if cb is not ProgressCallback]  # no bars in a log

def _digits_dls(n, size, seed, **kw):
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

# Each scenario: seed -> {metric: value}. BARS: metric -> (bar, where it is asserted).
def nb05_frozen(seed):
    "05_train: `fit_frozen(learn, epochs=8)` on 300 digits at 48 px"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    learn = transfer_learner(dls); learn.model_dir = _tmp()
    fit_frozen(learn, epochs=8)
    return dict(acc=learn.validate()[1])

def nb05_unfrozen_last(seed):
    "05_train: `fit_frozen(8, n_aug=0)` then `fit_unfrozen(2, unfreeze='last', keep_best=False)`"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    learn = transfer_learner(dls); learn.model_dir = _tmp()
    lr = fit_frozen(learn, epochs=8, n_aug=0)
    fit_unfrozen(learn, 2, lr, unfreeze='last', keep_best=False)
    return dict(acc=learn.validate()[1])

def nb05_recipe(seed):
    "05_train: `fine_tune_recipe(learn, 8, 1)`"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    res = transfer_learner(dls).fine_tune_recipe(8, 1, cbs=RecipeReport(_tmp()/'report'))
    return dict(frozen=res['metrics']['frozen']['accuracy'], unfrozen=res['metrics']['unfrozen']['accuracy'])

def index_example(seed):
    "index: the six-line example, `fine_tune_recipe(frozen_epochs=8, unfrozen_epochs=1)` on 500 digits at 48 px"
    set_seed(seed); dls = regex_dls(make_digits(n=500), size=48, num_workers=0, seed=seed)
    res = transfer_learner(dls).fine_tune_recipe(frozen_epochs=8, unfrozen_epochs=1)
    return dict(acc=res['metrics']['unfrozen']['accuracy'])

def nb05_plain(seed):
    "05_train: `fine_tune_recipe(..., cached=False, lr=1e-2, unfreeze='all')`, 2 frozen epochs and 1 unfrozen"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    res = transfer_learner(dls).fine_tune_recipe(2, 1, cached=False, lr=1e-2, unfreeze='all')
    return dict(frozen=res['metrics']['frozen']['accuracy'])

def nb07_export(seed):
    "07_export: the exported model's predictions against fastai's on the validation images (agreement, not accuracy)"
    set_seed(seed); dls = _digits_dls(300, 48, seed, bs=32)
    learn = transfer_learner(dls); learn.model_dir = _tmp()
    fit_frozen(learn, epochs=6)
    model = load_model(export_model(learn, _tmp()/'model'))
    files = learn.dls.valid_ds.items
    preds, _ = learn.get_preds(dl=learn.dls.test_dl(files))
    ours = torch.stack([model.probs(f) for f in files])
    return dict(agree=(ours.argmax(1) == preds.argmax(1)).float().mean().item())

def nb08_demo(seed):
    "08_cli: `digits_demo(n=500, size=48, frozen_epochs=8, unfrozen_epochs=1)`"
    return dict(acc=digits_demo(_tmp()/'report', n=500, size=48, frozen_epochs=8, unfrozen_epochs=1, seed=seed, bar=False)['accuracy'])

def _cli(n, size, epochs, seed, cls):
    "`tl_train`'s function on `n` digits in class folders; the accuracy and the share of class `cls` that `tl_predict` gets right"
    src = to_folders(make_digits(n=n), _tmp()/'digits'); work = _tmp()
    res = _train(src, work/'run', 'efficientnet_lite0', size=size, presize=None, bs=32, frozen_epochs=epochs,
                 unfrozen_epochs=0, pretrained=True, flip=False, seed=seed, bar=False)
    df = predict_folder(load_model(work/"run"/"model"), src/cls, progress=False)
    return dict(acc=res['metrics']['frozen']['accuracy'], cls=(df.label == cls).mean())

def nb08_train(seed):
    "08_cli: `_train` (tl_train) on 300 digits at 64 px, 4 frozen epochs; `_predict` on the sevens"
    return _cli(300, 64, 4, seed, 'seven')

def cli_train(seed):
    "tests/test_cli.py: `tl_train` on 400 digits at 64 px, 6 frozen epochs; `tl_predict` on the threes"
    return _cli(400, 64, 6, seed, 'three')

def demo_subset(seed):
    "tests/test_demo.py: `tl_demo --n 600 --size 48 --frozen_epochs 20 --unfrozen_epochs 1`"
    return dict(acc=digits_demo(_tmp()/'report', n=600, size=48, frozen_epochs=20, unfrozen_epochs=1, seed=seed, bar=False)['accuracy'])

def nb10_digits(seed):
    "10_digits_demo (fast path): 600 digits at 48 px, `fit_frozen(20)`, `fit_unfrozen(1)` (the whole body)"
    set_seed(seed); dls = regex_dls(make_digits(n=600), size=48, flip=False, min_scale=1.0, num_workers=0, seed=seed)
    learn = transfer_learner(dls); learn.model_dir = _tmp()
    lr = fit_frozen(learn, 20); fit_unfrozen(learn, 1, lr)
    return dict(acc=learn.validate()[1])

def demo_full(seed):
    "tests/test_demo.py (slow) and 08_cli (slow): the full demo, 1,797 digits at 64 px"
    return dict(acc=digits_demo(_tmp()/'report', seed=seed, bar=False)['accuracy'])

def _standin(name, seed, **kw):
    cfg = tutorial_setup(name, offline=True, **kw); set_seed(seed); return cfg

def nb11_pets(seed):
    "11_pets on the stand-in: `fit_frozen(4)`, then the whole body at `slice(1e-6, 1e-4)` for 2 epochs"
    cfg = _standin('pets', seed)
    dls = regex_dls(cfg.path, pat=r'^(.+)_\d+\.jpg$', size=cfg.size, seed=seed, num_workers=0)
    learn = transfer_learner(dls, cfg.arch, path=_tmp())
    fit_frozen(learn, 4); frozen = learn.validate()[1]
    fit_unfrozen(learn, 2, lr_max=slice(1e-6, 1e-4))
    return dict(frozen=frozen, unfrozen_gain=learn.validate()[1] - frozen)

def nb12_flowers(seed):
    "12_flowers on the stand-in: the dense head, `fit_frozen(10, lr=2e-4)`"
    cfg = _standin('flowers', seed)
    dls = folder_dls(cfg.path, valid_pct=0.1, seed=seed, size=cfg.size, num_workers=0)
    learn = transfer_learner(dls, cfg.arch, head='dense', path=_tmp())
    fit_frozen(learn, 10, lr=2e-4)
    return dict(acc=learn.validate()[1])

def nb13_hotdog(seed):
    "13_hotdog on the stand-in: the linear head, `fit_head_mult(5, lr=2e-4)` at 56 px, batches of 16"
    cfg = _standin('hotdog', seed, standin_size=56); presize = cfg.size*256//224
    dls = folder_dls(cfg.path, 'train', 'test', size=cfg.size, presize=presize, min_scale=0.08, flip=True,
                     valid_scale=cfg.size/presize, bs=16, num_workers=0)
    learn = transfer_learner(dls, cfg.arch, head='linear', path=_tmp())
    fit_head_mult(learn, 5, lr=2e-4, head_mult=10)
    return dict(acc=learn.validate()[1])

def nb14_two_class(seed):
    "14_two_class on the stand-in: the linear head, `fit_frozen(20)`"
    cfg = _standin('hymenoptera', seed)
    dls = folder_dls(cfg.path, 'train', 'val', size=cfg.size, num_workers=0)
    learn = transfer_learner(dls, cfg.arch, head='linear', path=_tmp())
    fit_frozen(learn, 20)
    return dict(acc=learn.validate()[1])

def nb15_features(seed):
    "15_features on the stand-in: features of the frozen body once, then a small classifier for 30 epochs"
    cfg = _standin('cats_dogs', seed)
    dls = folder_dls(cfg.path, 'train', 'validation', size=cfg.size, num_workers=0)
    learn = transfer_learner(dls, cfg.arch)
    trn = body_features(learn, dls.test_dl(dls.train_ds.items, with_labels=True)); val = body_features(learn, dls.valid)
    fdls = DataLoaders.from_dsets(list(zip(*trn)), list(zip(*val)), bs=20)
    clf = nn.Sequential(nn.Linear(trn[0].shape[1], 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, dls.c))
    flearn = Learner(fdls, clf, loss_func=CrossEntropyLossFlat(), metrics=accuracy, path=_tmp())
    flearn.fit_one_cycle(30, flearn.lr_find(show_plot=False).valley)
    return dict(acc=flearn.validate()[1])

# The bars as they stand in the tests: scenario -> {metric: (bar, where[, False where no control applies])};
# a value >= bar passes.
BARS = dict(
    nb05_frozen=dict(acc=(0.8, '05_train: fit_frozen, in memory and on disk')),
    nb05_unfrozen_last=dict(acc=(0.8, "05_train: fit_unfrozen(unfreeze='last')")),
    nb05_recipe=dict(frozen=(0.8, '05_train: fine_tune_recipe, frozen'), unfrozen=(0.8, '05_train: fine_tune_recipe, unfrozen')),
    nb05_plain=dict(frozen=(0.5, '05_train: cached=False, 2 epochs')),
    index_example=dict(acc=(0.8, 'index: the six-line example')),
    nb07_export=dict(agree=(0.95, '07_export: exported model agrees with get_preds (no control: agreement)', False)),
    nb08_demo=dict(acc=(0.85, '08_cli: digits_demo(n=500)')),
    nb08_train=dict(acc=(0.85, '08_cli: _train'), cls=(0.85, "08_cli: _predict on 'seven'")),
    cli_train=dict(acc=(0.8, 'test_cli: test_train'), cls=(0.6, "test_cli: test_predict on 'three'")),
    demo_subset=dict(acc=(0.85, 'test_demo: test_demo_subset')),
    nb10_digits=dict(acc=(0.85, '10_digits_demo: fast path')),
    nb11_pets=dict(frozen=(0.9, '11_pets: frozen'), unfrozen_gain=(-0.01, '11_pets: unfreezing loses at most 0.01 (no control: a difference)', False)),
    nb12_flowers=dict(acc=(0.85, '12_flowers')),
    nb13_hotdog=dict(acc=(0.8, '13_hotdog')),
    nb14_two_class=dict(acc=(0.85, '14_two_class')),
    nb15_features=dict(acc=(0.9, '15_features')),
    demo_full=dict(acc=(0.9, 'test_demo/08_cli (slow): the full demo')),
)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('names', nargs='*', default=[n for n in BARS if n != 'demo_full'])
    p.add_argument('--seeds', nargs='+', type=int, default=[42, 0, 1, 2, 3])
    p.add_argument('--threads', nargs='+', type=int, default=[1, 2])
    p.add_argument('--json', default=None, help='also write the runs to this JSON file')
    p.add_argument('--table', nargs='+', default=None, help='print the table of the runs in these JSON files, run nothing')
    a = p.parse_args()
    runs = [r for f in a.table or [] for r in json.loads(Path(f).read_text())]
    if a.table: a.names = [n for n in BARS if any(r['name'] == n for r in runs)]
    for name in ([] if a.table else a.names):
        f = globals()[name]
        for t in a.threads:
            for s in a.seeds:
                torch.set_num_threads(t); t0 = time.time()
                runs.append(dict(name=name, seed=s, threads=t, control=False, **f(s)))
                print(json.dumps(runs[-1] | dict(seconds=round(time.time()-t0, 1))), flush=True)
        torch.set_num_threads(max(a.threads)); t0 = time.time()
        with shuffled_labels(): runs.append(dict(name=name, seed=a.seeds[0], threads=max(a.threads), control=True, **f(a.seeds[0])))
        print(json.dumps(runs[-1] | dict(seconds=round(time.time()-t0, 1))), flush=True)
        if a.json: Path(a.json).write_text(json.dumps(runs, indent=1))
    print('\n| where the bar is | scenario | metric | bar | runs | min | median | max | shuffled labels |')
    print('|---|---|---|---|---|---|---|---|---|')
    for name in a.names:
        for metric, (bar, where, *no_control) in BARS[name].items():  # a third item, False: no control applies
            v = sorted(r[metric] for r in runs if r['name'] == name and not r['control'] and metric in r)
            c = [r[metric] for r in runs if r['name'] == name and r['control'] and metric in r]
            if not v: continue
            safe = v[0] >= bar and (bool(no_control) or c[0] < bar)
            print(f"| {where} | {name} | {metric} | {bar} | {len(v)} | {v[0]:.4f} | {v[len(v)//2]:.4f} | {v[-1]:.4f} | "
                  f"{f'{c[0]:.4f}' if c else '-'}{'' if safe else ' **bar not safe**'} |")

if __name__ == '__main__': main()
