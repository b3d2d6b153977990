"""Data where training the whole body beats the frozen head: 4,000 glyphs at 64 px, the recipe's two unfrozen stages and fastai's `fine_tune`.

One seed per call (the split's and the training's), one process, every default of `regex_dls` (fastai's worker
processes, flips, crops), the bundled EfficientNet-Lite0 ImageNet body. The runs, each from a fresh learner:
- recipe: `learn.fine_tune_recipe()`, every default (10 frozen epochs on cached activations, then up to 3 on the body's
  last stage, `patience=1`);
- recipe_all: `learn.fine_tune_recipe(4, unfreeze='all', patience=None)`: the same frozen stage, then 4 epochs of the
  whole body on the images;
- ft: fastai's `fine_tune(4)` (base_lr 2e-3), BatchNorm trained as `vision_learner` does; ft_1e-2: the same at 1e-2.
Prints each run's valid accuracy, seconds and, for the recipe, its frozen stage's accuracy. Results: bench/full_finetune.md.
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

for w in which:
    t = time.time()
    if w == 'recipe': l = learner(); r = l.fine_tune_recipe()
    elif w == 'recipe_all': l = learner(); r = l.fine_tune_recipe(4, unfreeze='all', patience=None)
    elif w.startswith('ft'): l = learner(True); l.fine_tune(4, base_lr=float(w.split('_')[1]) if '_' in w else 2e-3); r = None
    else: raise SystemExit(f'{w!r}: pass recipe, recipe_all, ft or ft_<rate>')
    acc = float(l.validate()[1])
    print(w, dict(acc=round(acc, 4), s=round(time.time() - t, 1), frozen=r and round(r['metrics']['frozen']['accuracy'], 4)), flush=True)
