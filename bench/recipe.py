"""The recipe against plain fastai, with every default, side by side in one process, as a spread over seeds.

Same backbone (EfficientNet-Lite0, ImageNet weights, bundled), same images, same seeded split, same loaders (every default
of `regex_dls`: fastai's worker processes, flips, crops), 64 px. For each kind of data and each seed (the split's and the
training's), four runs:
- fastai's frozen `fit_one_cycle(10, 2e-3)` (`fine_tune`'s default rate), BatchNorm trained as `vision_learner` does;
- `learn.fine_tune_recipe(0)`: the recipe's frozen stage alone (10 epochs on cached activations, `n_aug=2`);
- fastai's `fine_tune(3)`;
- `learn.fine_tune_recipe()`: the whole recipe, every default (10 frozen epochs, then up to 3 on the body's last stage).
Three kinds of data the package makes offline: the digits (1,797), 800 photo patches (8 classes), 2,000 glyphs (10 letters
in matplotlib's fonts: no ImageNet class looks like them). `--n` keeps n images of each, spread evenly over the sorted names, `--extra` adds labelled
rows with non-default settings on the first seed (loaders without workers; `unfreeze='all'`).
Prints each run, then per kind of data the ratios' min / median / max over the seeds, and what the unfrozen stage gained
and cost within each recipe; writes bench/recipe.json.
Run: .venv/bin/python bench/recipe.py [--seeds 5] [--n N] [--extra]
"""
import argparse, json, shutil, statistics, tempfile, time
from tl_recipes.all import *
from tl_recipes.core import tl_home

ap = argparse.ArgumentParser(); ap.add_argument('--seeds', type=int, default=5); ap.add_argument('--n', type=int)
ap.add_argument('--extra', action='store_true'); ap.add_argument('--only')
ap.add_argument('--table', help='reprint the summary of a saved bench/recipe.json'); args = ap.parse_args()
defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars

def subset(path, n):
    "`n` files of `path` spread evenly over its sorted names (so every class is there), copied into a folder of their own"
    if not n: return path
    dest = tl_home(f'bench_{path.name}_every_{n}')
    if not dest.exists():
        tmp = dest.with_name(dest.name + '.tmp'); shutil.rmtree(tmp, ignore_errors=True); tmp.mkdir(parents=True)
        fs = sorted(path.iterdir())
        for i in range(min(n, len(fs))): shutil.copy(fs[i*len(fs)//n], tmp/fs[i*len(fs)//n].name)
        tmp.rename(dest)
    return dest

def learner(path, seed, fastai_bn=False, **kw):
    set_seed(seed)
    learn = transfer_learner(regex_dls(path, size=64, seed=seed, **kw), bn_freeze=not fastai_bn)
    learn.model_dir = Path(tempfile.mkdtemp()); learn.logger = noop
    return learn

def run(f, learn):
    "Accuracy and seconds of `f(learn)`; the recipe's own result too (its stages' metrics and times)"
    t = time.perf_counter(); res = f(learn); t = time.perf_counter() - t
    return float(learn.validate()[1]), t, (res if isinstance(res, dict) else None)

METHODS = {
    'fastai frozen fit_one_cycle(10)': (dict(fastai_bn=True), lambda l: l.fit_one_cycle(10, 2e-3)),
    'fine_tune_recipe(0)': ({}, lambda l: l.fine_tune_recipe(0)),
    'fastai fine_tune(3)': (dict(fastai_bn=True), lambda l: l.fine_tune(3)),
    'fine_tune_recipe()': ({}, lambda l: l.fine_tune_recipe()),
}
EXTRA = {
    'extra: fastai frozen fit_one_cycle(10), num_workers=0': (dict(fastai_bn=True, num_workers=0), METHODS['fastai frozen fit_one_cycle(10)'][1]),
    'extra: fine_tune_recipe(0), num_workers=0': (dict(num_workers=0), METHODS['fine_tune_recipe(0)'][1]),
    "extra: fine_tune_recipe(unfreeze='all')": ({}, lambda l: l.fine_tune_recipe(unfreeze='all')),
}

def spread(xs): return f'{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f}'

def summary(out):
    "The ratios and gains over the seeds, per kind of data"
    print('\nratios over the seeds, min / median / max')
    for name in dict.fromkeys(r['data'] for r in out):
        g = lambda m: {r['seed']: r for r in out if r['data'] == name and r['method'] == m}
        ff, r0, ft, rr = (g(m) for m in METHODS)
        ss = [s for s in ff if s in r0 and s in ft and s in rr]
        print(f"{name}: frozen stage {spread([ff[s]['s']/r0[s]['s'] for s in ss])}x faster than fastai's; accuracy "
              f"{spread([r0[s]['acc'] for s in ss])} against {spread([ff[s]['acc'] for s in ss])}, "
              f"higher in {sum(r0[s]['acc'] >= ff[s]['acc'] for s in ss)} of {len(ss)}")
        print(f"{name}: whole recipe {spread([rr[s]['s']/ft[s]['s'] for s in ss])}x fine_tune(3)'s time; accuracy "
              f"{spread([rr[s]['acc'] for s in ss])} against {spread([ft[s]['acc'] for s in ss])}, "
              f"higher in {sum(rr[s]['acc'] >= ft[s]['acc'] for s in ss)} of {len(ss)}")
        m = [rr[s]['res'] for s in ss]  # the whole recipe's own stages: frozen, then unfrozen
        print(f"{name}: unfreezing gained {spread([r['metrics']['unfrozen']['accuracy']-r['metrics']['frozen']['accuracy'] for r in m])} "
              f"in {spread([r['epochs'] for r in m])} epochs, {spread([r['times']['unfrozen']/rr[s]['s'] for r, s in zip(m, ss)])} "
              f"of the recipe's time")

if __name__ == '__main__':
    if args.table: summary(json.loads(Path(args.table).read_text())); raise SystemExit
    from tl_recipes.demo import make_digits, make_patches, make_glyphs
    data = [('digits', make_digits()), ('patches', make_patches()), ('glyphs', make_glyphs())]
    out, seeds = [], [42, 0, 1, 2, 3, 4, 5, 6][:args.seeds]
    print(f'{torch.get_num_threads()} threads, seeds {seeds}, n {args.n or "all"}')
    data = [(name, subset(path, args.n)) for name, path in data if not args.only or args.only == name]
    for s in seeds:  # seed by seed: an interrupted run still has every kind of data
        for name, path in data:
            todo = {**METHODS, **(EXTRA if args.extra and s == seeds[0] else {})}
            for label, (kw, f) in todo.items():
                acc, t, res = run(f, learner(path, s, **kw))
                out.append(dict(data=name, seed=s, method=label, acc=acc, s=t, res=res))
                print(f'{name:<8}{s:>4}  {label:<56}{acc:8.4f}{t:8.1f} s', flush=True)
            Path('bench/recipe.json').write_text(json.dumps(out, indent=1))
    summary(out)
