"""The frozen stage against its floor, and where its time goes, side by side in one process.

The floor is the body's forward passes alone, as the recipe needs them: (1 + n_aug) passes over the training set and one
over the validation set, through the same loaders as the user's `DataLoaders` (fastai's defaults: its worker processes;
`floor0`: the same loaders without worker processes, decoding in this process as the cache does),
each batch through the frozen body in `torch.no_grad()`, nothing else. Against it, `learn.fine_tune_recipe(0,
freeze_epochs=10)` with every default (n_aug=2), and where its time goes: the body's passes as the cache runs them (in this
process, plain tensors, channels-last on a CPU), `lr_find` on the features, the head's 10 epochs, the validation of the
result, and the rest (the split probe, the learner's set-up). Data the package makes: the digits and the photo patches at
64 px, the patches at 224 px, and the glyphs at 64 px.

Run: .venv/bin/python bench/frozen_stage.py [--adam] [--dropout] [--only 64px] [--out F] [--old PATH]     (--adam: also the
recipe with fastai's `Adam` on the features, as before 04_cache's `_features_opt`, side by side; --dropout: also the recipe
with torch's `nn.Dropout` on the features, as before 04_cache's `_fast_dropout`, side by side)     (--old: the package at another commit, e.g. a worktree of
main before issue 22, run with its own `fine_tune_recipe(frozen_epochs=10, unfrozen_epochs=0)` for the "before" rows)
"""
import argparse, json, sys, time
from contextlib import contextmanager, nullcontext
from pathlib import Path

ap = argparse.ArgumentParser(); ap.add_argument('--old'); ap.add_argument('--only')
ap.add_argument('--adam', action='store_true', help="also the recipe with fastai's Adam on the features, side by side")
ap.add_argument('--dropout', action='store_true', help="also the recipe with torch's nn.Dropout on the features, side by side")
ap.add_argument('--out', help='the JSON file to write (default: bench/frozen_stage.json)')
args = ap.parse_args()
if args.old: sys.path.insert(0, args.old)
from tl_recipes.all import *
import tl_recipes
defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars
OLD = args.old is not None

T = {}
@contextmanager
def timer(name):
    t = time.perf_counter()
    try: yield
    finally: T[name] = T.get(name, 0) + time.perf_counter() - t

def timed_method(cls, name, key):
    "Wrap `cls.name` so that its time adds up under `key`"
    f = getattr(cls, name)
    def g(*a, **k):
        with timer(key): return f(*a, **k)
    setattr(cls, name, g)

def datasets():
    if OLD:  # the package before had no `demo` module: the folders the run without --old wrote, in the same home
        from tl_recipes.core import tl_home
        paths = [tl_home(n) for n in ('digits', 'patches_800_96', 'glyphs_2000_64')]
        assert all(p.exists() for p in paths), 'run bench/frozen_stage.py without --old first: it writes the data'
        d, p, g = paths
    else:
        from tl_recipes.demo import make_digits, make_patches, make_glyphs
        d, p, g = make_digits(), make_patches(), make_glyphs()
    return [('digits', d, 64), ('patches', p, 64), ('patches', p, 224), ('glyphs', g, 64)]

def learner(path, size, seed=42):
    set_seed(seed)
    dls = regex_dls(path, size=size, seed=seed)  # every default: fastai's worker processes, flips, crops
    learn = transfer_learner(dls); learn.logger = noop
    return learn

def floor(learn, n_aug=2, in_process=False):
    "The body's passes through the user's loaders (or the same without worker processes), nothing else"
    dls = learn.dls
    m = nn.Sequential(learn.model[0], *learn.model[1][:2]).eval()
    loaders = [dls.test_dl(dls.train_ds.items, with_labels=True)] + [dls.train.new(shuffle=False, drop_last=False)]*n_aug + [dls.valid]
    if in_process: loaders = [dl.new(num_workers=0) for dl in loaders]
    t = time.perf_counter()
    with torch.no_grad():
        for dl in loaders:
            for xb, yb in dl: m(xb)
    return time.perf_counter() - t

def recipe(learn):
    T.clear()
    t = time.perf_counter()
    if OLD: learn.fine_tune_recipe(frozen_epochs=10, unfrozen_epochs=0)
    else: learn.fine_tune_recipe(0, freeze_epochs=10)
    return time.perf_counter() - t, dict(T)

if __name__ == '__main__':
    if OLD:
        import tl_recipes.cache as C, tl_recipes.train as TR
        timed_method(C, '_cache', 'passes'); timed_method(TR, 'find_lr', 'lr_find')  # module globals, looked up at call
        timed_method(Learner, 'fit_one_cycle', 'head fit'); timed_method(TR, '_stage_done', 'validate')
    else:
        from tl_recipes.cache import ActivationCache
        import tl_recipes.train as TR
        timed_method(ActivationCache, '_cache', 'passes')
        timed_method(Learner, 'lr_find', 'lr_find')
        timed_method(Learner, 'fit_one_cycle', 'head fit')
        timed_method(TR, '_metrics', 'validate')
    rows = []
    print(f"tl_recipes {'before (' + args.old + ')' if OLD else 'now'}, {torch.get_num_threads()} threads")
    print(f"{'data':<14}{'floor0 s':>9}{'floor s':>8}{'recipe s':>9}{'ratio':>7}{'passes':>8}{'lr_find':>8}{'head fit':>9}{'validate':>9}"
          f"{'other':>7}{'accuracy':>9}")
    for name, path, size in datasets():
        if args.only and args.only not in f'{name} {size}px': continue
        learn = learner(path, size); fl0 = floor(learn, in_process=True)
        learn = learner(path, size); fl = floor(learn)
        if args.adam:  # the recipe before its features had torch's fused AdamW (04_cache's `_features_opt`)
            import tl_recipes.cache as C
            f, C._features_opt = C._features_opt, lambda o: o
            try: learn = learner(path, size); ta, pa = recipe(learn); acc_a = float(learn.validate()[1])
            finally: C._features_opt = f
            print(f"{name+' '+str(size)+'px':<14} with fastai's Adam: recipe {ta:.1f} s, ratio {ta/fl:.2f}, head fit "
                  f"{pa.get('head fit', 0):.1f} s, lr_find {pa.get('lr_find', 0):.2f} s, accuracy {acc_a:.4f}", flush=True)
        if args.dropout:  # the recipe before 04_cache's `_fast_dropout`: torch's `bernoulli_` draws each mask
            import tl_recipes.cache as C
            f, C._fast_dropout = C._fast_dropout, nullcontext
            try: learn = learner(path, size); td, pd = recipe(learn); acc_d = float(learn.validate()[1])
            finally: C._fast_dropout = f
            print(f"{name+' '+str(size)+'px':<14} with nn.Dropout: recipe {td:.1f} s, ratio {td/fl:.2f}, head fit "
                  f"{pd.get('head fit', 0):.1f} s, lr_find {pd.get('lr_find', 0):.2f} s ({pd.get('lr_find', 0)/td:.1%}), accuracy {acc_d:.4f}", flush=True)
        learn = learner(path, size); t, parts = recipe(learn)
        other = t - sum(parts.values())
        acc = float(learn.validate()[1])
        row = dict(data=f'{name} {size}px', floor0=fl0, floor=fl, recipe=t, ratio=t/fl, **parts, other=other, acc=acc)
        if args.dropout: row.update(dropout_recipe=td, dropout_ratio=td/fl, dropout_head_fit=pd.get('head fit'), dropout_lr_find=pd.get('lr_find'), dropout_acc=acc_d)
        if args.adam: row.update(adam_recipe=ta, adam_ratio=ta/fl, adam_head_fit=pa.get('head fit'), adam_lr_find=pa.get('lr_find'), adam_acc=acc_a)
        rows.append(row)
        p = lambda k: parts.get(k, 0)
        print(f"{name+' '+str(size)+'px':<14}{fl0:9.1f}{fl:8.1f}{t:9.1f}{t/fl:7.2f}{p('passes'):8.1f}{p('lr_find'):8.1f}"
              f"{p('head fit'):9.1f}{p('validate'):9.1f}{other:7.1f}{acc:9.4f}  lr_find {p('lr_find')/t:.1%} of the stage", flush=True)
    Path(args.out or ('bench/frozen_stage.json' if not OLD else 'bench/frozen_stage_before.json')).write_text(json.dumps(rows, indent=1))
