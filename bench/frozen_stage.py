"""The frozen stage, side by side in one run: fastai's frozen `fit_one_cycle` against tl_recipes' cached features.

Same data (the embedded digits at 64 px), same split, same EfficientNet-Lite0 body and head, same number of epochs,
each choosing its rate with `lr_find`. Prints accuracy and wall time of each, and the ratios.
Run: .venv/bin/python bench/frozen_stage.py [epochs]
"""
import sys, time
from tl_recipes.all import *

defaults.callbacks = [c for c in defaults.callbacks if c is not ProgressCallback]  # plain lines, no bars

def _learner(bn_freeze):
    set_seed(42)
    dls = regex_dls(make_digits(), size=64, flip=False, min_scale=1.0, num_workers=0)
    return transfer_learner(dls, bn_freeze=bn_freeze)

def plain(epochs):
    "fastai's way: `lr_find`, then `fit_one_cycle` on the frozen learner, BatchNorm in training mode"
    learn = _learner(bn_freeze=False)
    t = time.time(); lr = learn.lr_find(show_plot=False).valley; t_find = time.time() - t
    learn.fit_one_cycle(epochs, lr)
    return dict(acc=learn.validate()[1], secs=time.time() - t, fit_secs=time.time() - t - t_find)

def cached(epochs):
    "tl_recipes' way: body features computed once (plus two augmented passes), `lr_find` and `fit_one_cycle` on them"
    learn = _learner(bn_freeze=True)
    t = time.time(); fit_frozen(learn, epochs)
    return dict(acc=learn.validate()[1], secs=time.time() - t)

if __name__ == '__main__':
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    p, c = plain(epochs), cached(epochs)
    print(f"\nfrozen stage, {epochs} epochs, digits at 64 px, EfficientNet-Lite0, {torch.get_num_threads()} CPU threads")
    print(f"{'':36}{'valid acc':>10}{'seconds':>10}")
    print(f"{'fastai: lr_find + fit_one_cycle':36}{p['acc']:>10.4f}{p['secs']:>10.1f}   (fit_one_cycle alone {p['fit_secs']:.1f} s)")
    print(f"{'tl_recipes: fit_frozen, all included':36}{c['acc']:>10.4f}{c['secs']:>10.1f}")
    print(f"ratio of times, lr_find included: {p['secs']/c['secs']:.1f}x; against fit_one_cycle alone: {p['fit_secs']/c['secs']:.1f}x")
    print(f"accuracy: {c['acc']:.4f} against {p['acc']:.4f}")
