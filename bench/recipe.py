"""The whole recipe against plain fastai and a plain PyTorch loop, side by side in one run, on two datasets.

Same backbone (EfficientNet-Lite0, ImageNet weights, bundled), same images, same seeded split, same size, 2 CPU cores:
- fastai `fine_tune(3)`: what `vision_learner` users call (one frozen epoch, then three unfrozen), BatchNorm trained as
  fastai does (a `transfer_learner(bn_freeze=False)` is `vision_learner`'s model: body, `create_head`, normalisation);
- the lesson-1 sequence: `fit_one_cycle(4)` frozen, unfreeze, `lr_find`, `fit_one_cycle(2, slice(1e-6, 1e-4))`;
- a plain PyTorch loop written like the two-class tutorial: frozen body, a new final layer, SGD (lr 1e-3, momentum 0.9),
  5 epochs, keeping the best epoch's weights;
- the frozen stage alone, both ways, for the same number of epochs: fastai's `fit_one_cycle` on the frozen learner against
  `fit_frozen` on cached features (`n_aug=0`: one pass of the body over the training set; and `n_aug=2`, the default);
- `fine_tune_recipe` (cached frozen stage, `n_aug=0`, then the unfrozen rule), with 0 and with 3 unfrozen epochs: the body's
  last stage on cached activations (the default, `unfreeze='last'`), and the whole body (`unfreeze='all'`).
Datasets: the embedded digits at 64 px, and 800 photo patches the script cuts from scikit-learn's two sample photos
(8 classes: photo and quadrant). Prints accuracy and wall time of each, and the ratios the README quotes.
Run: .venv/bin/python bench/recipe.py [frozen_epochs]
"""
import sys, tempfile, time, copy as _copy
import numpy as np
from PIL import Image
from tl_recipes.all import *

defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars

def make_patches(n_per_class=100, seed=0):
    "800 JPEG patches of 96 px: 8 classes, the quadrants of scikit-learn's two sample photos"
    from sklearn.datasets import load_sample_images
    dest = Path(tempfile.mkdtemp())/'patches'; dest.mkdir()
    rng = np.random.default_rng(seed)
    for name, img in zip(('china', 'flower'), load_sample_images().images):
        h, w = img.shape[0]//2, img.shape[1]//2
        for q in range(4):
            quad = img[(q//2)*h:(q//2+1)*h, (q%2)*w:(q%2+1)*w]
            for i in range(n_per_class):
                s = int(rng.integers(64, min(h, w)))
                y, x = rng.integers(0, quad.shape[0]-s), rng.integers(0, quad.shape[1]-s)
                Image.fromarray(quad[y:y+s, x:x+s]).resize((96, 96)).save(dest/f'{name}_q{q}_{i:03d}.jpg', quality=90)
    return dest

def learner(path, bn_freeze=True, seed=42):
    set_seed(seed)
    dls = regex_dls(path, size=64, flip=False, min_scale=1.0, seed=42, num_workers=0)
    learn = transfer_learner(dls, bn_freeze=bn_freeze)
    learn.model_dir = Path(tempfile.mkdtemp())
    return learn

def timed(f):
    t = time.perf_counter(); f(); return time.perf_counter() - t

def fastai_fine_tune(path):
    learn = learner(path, bn_freeze=False)
    return learn, timed(lambda: learn.fine_tune(3))

def lesson1(path):
    learn = learner(path, bn_freeze=False)
    def run():
        learn.fit_one_cycle(4); learn.unfreeze(); learn.lr_find(show_plot=False)
        learn.fit_one_cycle(2, slice(1e-6, 1e-4))
    return learn, timed(run)

def torch_loop(path, epochs=5):
    "The two-class tutorial's loop: frozen body, new final layer, SGD, keep the best epoch"
    learn = learner(path, bn_freeze=False)
    body, dls = learn.model[0], learn.dls
    model = nn.Sequential(body, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, dls.c))
    opt = torch.optim.SGD(model[-1].parameters(), lr=1e-3, momentum=0.9)
    best, best_acc = None, -1
    def run():
        nonlocal best, best_acc
        for _ in range(epochs):
            model.train()
            for xb, yb in dls.train:
                opt.zero_grad(); loss = F.cross_entropy(model(xb).as_subclass(Tensor), yb.as_subclass(Tensor)); loss.backward(); opt.step()
            model.eval()
            with torch.no_grad(): acc = np.mean([(model(xb).argmax(1) == yb).float().mean().item() for xb, yb in dls.valid])
            if acc > best_acc: best_acc, best = acc, _copy.deepcopy(model.state_dict())
        model.load_state_dict(best)
    t = timed(run)
    learn.model = model
    return learn, t

def frozen_fastai(path, epochs):
    learn = learner(path, bn_freeze=False)
    return learn, timed(lambda: learn.fit_one_cycle(epochs, 2e-3))

def frozen_cached(path, epochs, n_aug=0):
    learn = learner(path)
    return learn, timed(lambda: fit_frozen(learn, epochs, n_aug=n_aug))

def recipe(path, frozen_epochs, unfrozen_epochs, unfreeze='last'):
    learn = learner(path)
    return learn, timed(lambda: learn.fine_tune_recipe(frozen_epochs, unfrozen_epochs, cbs=RecipeReport(tempfile.mkdtemp()), n_aug=0, unfreeze=unfreeze))

def acc(learn): return float(learn.validate()[1])

def bench(name, path, frozen_epochs):
    rows = {}
    for label, f in [(f'fastai frozen fit_one_cycle({frozen_epochs}), lr 2e-3', lambda: frozen_fastai(path, frozen_epochs)),
                     (f'tl_recipes fit_frozen({frozen_epochs}), cached, lr_find included', lambda: frozen_cached(path, frozen_epochs)),
                     (f'tl_recipes fit_frozen({frozen_epochs}, n_aug=2)', lambda: frozen_cached(path, frozen_epochs, 2)),
                     ('fastai fine_tune(3)', lambda: fastai_fine_tune(path)),
                     ('lesson 1: fit_one_cycle(4), unfreeze, lr_find, fit_one_cycle(2)', lambda: lesson1(path)),
                     ('PyTorch loop, frozen body, SGD, 5 epochs, best kept', lambda: torch_loop(path)),
                     (f'fine_tune_recipe({frozen_epochs}, 0)', lambda: recipe(path, frozen_epochs, 0)),
                     (f'fine_tune_recipe({frozen_epochs}, 3)', lambda: recipe(path, frozen_epochs, 3)),
                     (f"fine_tune_recipe({frozen_epochs}, 3, unfreeze='all')", lambda: recipe(path, frozen_epochs, 3, 'all'))]:
        learn, t = f()
        rows[label] = (acc(learn), t)
        print(f'{name:<8}{label:<66}{rows[label][0]:8.4f}{t:9.1f} s', flush=True)
    (fa, ft), (ca, ct) = list(rows.values())[:2]
    (ta, tt) = rows['fastai fine_tune(3)']
    print(f'{name}: frozen stage {ft/ct:.1f}x faster with cached features ({ca:.4f} against {fa:.4f})')
    for k in (f'fine_tune_recipe({frozen_epochs}, 0)', f'fine_tune_recipe({frozen_epochs}, 3)', f"fine_tune_recipe({frozen_epochs}, 3, unfreeze='all')"):
        print(f'{name}: {k} takes {rows[k][1]/tt:.2f}x the time of fastai fine_tune(3), accuracy {rows[k][0]:.4f} against {ta:.4f}')
    return rows

if __name__ == '__main__':
    fe = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"{'data':<8}{'method':<66}{'accuracy':>8}{'time':>11}")
    bench('digits', make_digits(), fe)
    bench('patches', make_patches(), fe)
