"""The whole recipe against fastai's `fine_tune` and lesson 1's sequence on a GPU, resnet34 at 224 px, side by side in one run.

Run it whenever a GPU machine is lent (the `device` tool); it runs on a CPU too, slowly (pass a small `--n` to check it).
Data: `--n` JPEG photo patches (bench/recipe.py's `make_patches`, 8 classes), resnet34 with `pretrained=False` (the machines
are offline; the time does not depend on the weights), 224 px, batch size 64, fastai's default number of workers.
Prints the device, then for each method its validation accuracy (meaningless without pretrained weights: for timing only) and
wall time, and each method's time against fastai's `fine_tune(3)`:
- fastai `fine_tune(3)`: one frozen epoch, three unfrozen (what `vision_learner` users call);
- lesson 1: `fit_one_cycle(4)` frozen, unfreeze, `lr_find`, `fit_one_cycle(2, slice(1e-6, 1e-4))`;
- `fine_tune_recipe(2, freeze_epochs=4)`: cached frozen stage with `lr_find`, then the last stage on cached activations;
- `fine_tune_recipe(0, freeze_epochs=10)` against fastai's frozen `fit_one_cycle(10)`: the frozen stage alone;
- the same with `unfreeze='all'`; and each of the three with `to_fp16()`.
Run: .venv/bin/python bench/gpu.py [--n 2000] [--fp16]   (a quick check on a CPU: --n 24 --bs 8)
"""
import argparse, sys, tempfile, time
from pathlib import Path
import fastai
from tl_recipes.all import *
from tl_recipes.demo import make_patches

defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars

def learner(path, fp16, bn_freeze=True, bs=64):
    set_seed(42)
    dls = regex_dls(path, size=224, flip=True, seed=42, bs=bs)
    learn = transfer_learner(dls, 'resnet34', pretrained=False, bn_freeze=bn_freeze)
    learn.model_dir = Path(tempfile.mkdtemp())
    return learn.to_fp16() if fp16 else learn

def sync():
    if torch.cuda.is_available(): torch.cuda.synchronize()

def timed(learn, f):
    sync(); t = time.perf_counter(); f(learn); sync()
    return float(learn.validate()[1]), time.perf_counter() - t

def lesson1(learn):
    learn.fit_one_cycle(4); learn.unfreeze(); learn.lr_find(show_plot=False); learn.fit_one_cycle(2, slice(1e-6, 1e-4))

METHODS = {'fastai fine_tune(3)': (False, lambda l: l.fine_tune(3)),
           'lesson 1: fit_one_cycle(4), unfreeze, lr_find, fit_one_cycle(2)': (False, lesson1),
           'fine_tune_recipe(2, freeze_epochs=4)': (True, lambda l: l.fine_tune_recipe(2, freeze_epochs=4)),
           "fine_tune_recipe(2, freeze_epochs=4, unfreeze='all')": (True, lambda l: l.fine_tune_recipe(2, freeze_epochs=4, unfreeze='all')),
           'fastai frozen fit_one_cycle(10)': (False, lambda l: l.fit_one_cycle(10, 2e-3)),
           'fine_tune_recipe(0, freeze_epochs=10)': (True, lambda l: l.fine_tune_recipe(0, freeze_epochs=10))}

if __name__ == '__main__':
    p = argparse.ArgumentParser(); p.add_argument('--n', type=int, default=2000); p.add_argument('--fp16', action='store_true')
    p.add_argument('--bs', type=int, default=64)  # smaller for a quick check with a small --n
    a = p.parse_args()
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() else f'CPU ({torch.get_num_threads()} threads)'
    path = make_patches(n=a.n//8*8, size=256)
    print(f'device: {dev}; torch {torch.__version__}, fastai {fastai.__version__}; {a.n} images at 224 px, resnet34')
    print(f"{'method':<66}{'precision':>10}{'accuracy':>9}{'time':>10}")
    rows = {}
    for fp16 in ((False, True) if a.fp16 else (False,)):
        for name, (bn_freeze, f) in METHODS.items():
            learn = learner(path, fp16, bn_freeze, a.bs)
            rows[name, fp16] = timed(learn, f)
            print(f"{name:<66}{'fp16' if fp16 else 'fp32':>10}{rows[name, fp16][0]:9.4f}{rows[name, fp16][1]:9.1f} s", flush=True)
    for (name, fp16), (_, t) in rows.items():
        print(f"{name} ({'fp16' if fp16 else 'fp32'}): {t/rows['fastai fine_tune(3)', fp16][1]:.2f}x the time of fastai fine_tune(3)")
