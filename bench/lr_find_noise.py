"""How much a 40-iteration `lr_find` wobbles where nothing happens: the measurement behind `find_lr`'s "worse" threshold.

After the frozen stage, the unfrozen stage runs `lr_find` over rates 1e-6 to 1e-1 in 40 iterations (`fit_unfrozen`), and
`find_lr` calls the loss "worse" where it reaches twice its lowest. This script trains a head on 600 digits at 48 px
(`fit_frozen(learn, 8)`), unfreezes, and runs that `lr_find` 5 times (its weights are restored after each). For each run it
prints, on the smoothed losses at rates below 1e-4 (where a step changes nothing), the spread (highest / lowest - 1),
and the first recorded loss against the median of those (fastai's smoothing makes the first points single batches).
Run: python bench/lr_find_noise.py [--runs 5]    (2 CPU cores: about a minute)
"""
import argparse, time
import numpy as np
from tl_recipes.all import *

def main(runs:int=5):
    set_seed(42)
    dls = regex_dls(make_digits(n=600), size=48, flip=False, min_scale=1.0, bs=32, num_workers=0)
    learn = transfer_learner(dls); learn.remove_cb(ProgressCallback)
    fit_frozen(learn, 8)
    learn.unfreeze()
    print(f"{'run':>4} {'points':>7} {'spread below 1e-4':>18} {'first / median':>15}")
    spreads = []
    for i in range(runs):
        set_seed(i)
        learn.lr_find(num_it=40, start_lr=1e-6, end_lr=1e-1, show_plot=False)
        lrs, losses = np.array(learn.recorder.lrs), np.array([float(l) for l in learn.recorder.losses])
        flat = losses[(lrs < 1e-4)][4:]  # the first points are single batches
        spread = flat.max()/flat.min() - 1
        spreads.append(spread)
        print(f"{i:>4} {len(flat):>7} {spread:>18.1%} {losses[0]/np.median(flat):>15.2f}")
    print(f"spread below 1e-4: {min(spreads):.1%} to {max(spreads):.1%} over {runs} runs "
          f"(find_lr's 'worse' needs 100%: twice the lowest loss)")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=5)
    t = time.time(); main(ap.parse_args().runs); print(f"{time.time()-t:.0f} s")
