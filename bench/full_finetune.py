"""Data where training the whole body beats the frozen head: 4,000 glyphs at 64 px, the recipe's two unfrozen stages and fastai's `fine_tune`.

One seed per call (the split's and the training's), one process, every default of `regex_dls` (fastai's worker
processes, flips, crops), the bundled EfficientNet-Lite0 ImageNet body. The runs, each from a fresh learner:
- recipe: `learn.fine_tune_recipe()`, every default (10 frozen epochs on cached activations, then up to 3 on the body's
  last stage, `patience=1`);
- recipe_4: `learn.fine_tune_recipe(4, patience=None)`: the default last stage, 4 epochs, never stopped early;
- recipe_cut3_4: the same, with the body's last three groups of blocks on cached activations (stages 5-7 of
  EfficientNet-Lite0): `fine_tune_recipe(4, unfreeze=3, patience=None)` (until 2026-12-07 `split_last` patched);
- recipe_n3_4: `learn.fine_tune_recipe(4, unfreeze=3)`: the last three groups, stopped by the default `patience=1`;
- recipe_all: `learn.fine_tune_recipe(4, unfreeze='all', patience=None)`: the same frozen stage, then 4 epochs of the
  whole body on the images;
- ft: fastai's `fine_tune(4)` (base_lr 2e-3), BatchNorm trained as `vision_learner` does; ft_1e-2: the same at 1e-2;
- ftf10_4: fastai's `fine_tune(4, freeze_epochs=10)`: the recipe's epochs (10 frozen, 4 unfrozen) on the images.
Prints each run's valid accuracy, seconds and, for the recipe, its frozen stage's accuracy and the valid accuracy after
each unfrozen epoch. Results: bench/full_finetune.md.
Run: .venv/bin/python bench/full_finetune.py N SEED recipe recipe_all ft ft_1e-2     (e.g. 4000 42 ...)
"""
import sys, time, tempfile
from tl_recipes.all import *
from tl_recipes.demo import make_glyphs
defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars
n, seed = int(sys.argv[1]), int(sys.argv[2]); which = sys.argv[3:]
p = make_glyphs(n=n)

def learner(fastai_bn=False):
    set_seed(seed)
    l = transfer_learner(regex_dls(p, size=64, seed=seed), bn_freeze=not fastai_bn)
    l.model_dir = Path(tempfile.mkdtemp()); l.logger = noop; return l

class EpochAcc(Callback):
    "The valid accuracy after each trained epoch, a list per fit (fastai's `validate` fires `after_epoch` too)"
    order = Recorder.order + 1
    def __init__(self): self.accs = []
    def before_fit(self): self.accs.append([])
    def before_epoch(self): self.trained = False
    def after_train(self): self.trained = True
    def after_epoch(self):
        if self.trained: self.accs[-1].append(round(float(self.recorder.log[-2]), 4))

for w in which:
    acc_cb = EpochAcc()
    t = time.time()
    if w == 'recipe': l = learner(); r = l.fine_tune_recipe(cbs=acc_cb)
    elif w == 'recipe_4': l = learner(); r = l.fine_tune_recipe(4, patience=None, cbs=acc_cb)
    elif w.startswith(('recipe_cut', 'recipe_n')):
        k, e = map(int, w[len('recipe_cut' if 'cut' in w else 'recipe_n'):].split('_'))
        l = learner(); r = l.fine_tune_recipe(e, unfreeze=k, cbs=acc_cb, **({'patience': None} if 'cut' in w else {}))
    elif w == 'recipe_all': l = learner(); r = l.fine_tune_recipe(4, unfreeze='all', patience=None, cbs=acc_cb)
    elif w.startswith('ftf'):  # fastai's fine_tune with the recipe's epochs: F frozen, E unfrozen
        f, e = map(int, w[3:].split('_')); l = learner(True); l.fine_tune(e, freeze_epochs=f); r = None
    elif w.startswith('ft'): l = learner(True); l.fine_tune(4, base_lr=float(w.split('_')[1]) if '_' in w else 2e-3); r = None
    else: raise SystemExit(f'{w!r}: pass recipe, recipe_4, recipe_cut<K>_<epochs>, recipe_n<K>_<epochs>, recipe_all, ft, ft_<rate> or ftf<F>_<E>')
    acc = float(l.validate()[1])
    print(w, dict(acc=round(acc, 4), s=round(time.time() - t, 1), frozen=r and round(r['metrics']['frozen']['accuracy'], 4),
                  times=r and {k: round(v, 1) for k, v in r['times'].items()},
                  unfrozen_epochs=r and [a for a in acc_cb.accs if a][-1]), flush=True)  # the last fit that trained
