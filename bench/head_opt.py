"""The head's optimizer on cached features: fastai's `Adam` (the learner's default) against torch's fused `AdamW`.

fastai's `Adam` updates each parameter in Python, one callback after another; torch's fused `AdamW` does the same
arithmetic (the same defaults: betas 0.9/0.99, eps 1e-5, decoupled weight decay 0.01) in one kernel over every
parameter. They differ in one thing: fastai leaves BatchNorm and bias weights undecayed (`wd_bn_bias=False`), torch
decays every parameter. A third way, fastai's `Adam` with `wd_bn_bias=True`, shows what that difference alone does.
Each way trains from the same cache and the same initial head, with the same seed, as the recipe trains it: its
`lr_find` on the features (50 steps), then `fit_one_cycle(10)` at the valley keeping the best epoch; for the flowers
stand-in, the dense head at 2e-4, as 12_flowers. Data: the digits at 64 px (the demo) and the Pets and flowers
stand-ins (48 px). Accuracy on the validation set; seconds of `lr_find` and the fit. Results: bench/head_opt.md.

    python bench/head_opt.py [--seeds 42 0 1 2 3]
"""
import argparse, time, warnings
from functools import partial
import torch
from fastai.vision.all import *
from tl_recipes.all import *
from tl_recipes.data import tutorial_setup
from tl_recipes.demo import make_digits
import copy  # after the star imports, which bring a function of that name

warnings.filterwarnings('ignore')
fused = partial(OptimWrapper, opt=partial(torch.optim.AdamW, fused=True), betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
WAYS = {"fastai Adam": (Adam, False), "torch AdamW, fused": (fused, False), "fastai Adam, wd_bn_bias": (Adam, True)}

def learner(name:str, seed:int):
    if name == 'digits':
        dls = regex_dls(make_digits(), size=64, seed=seed); return transfer_learner(dls), None
    cfg = tutorial_setup(name, offline=True)
    if name == 'pets':
        dls = regex_dls(cfg.path, pat=r'^(.+)_\d+\.jpg$', size=cfg.size, seed=seed, num_workers=cfg.num_workers)
        return transfer_learner(dls, cfg.arch), None
    dls = folder_dls(cfg.path, valid_pct=0.1, seed=seed, size=cfg.size, num_workers=cfg.num_workers)
    return transfer_learner(dls, cfg.arch, head='dense'), 2e-4

def run(name:str, seed:int)->dict:
    set_seed(seed); learn, lr0 = learner(name, seed)
    learn.remove_cb(ProgressCallback); learn.logger = noop; learn.freeze()
    c, h0, out = ActivationCache(learn, 2), copy.deepcopy(learn.model[1].state_dict()), {}
    for way, (opt, wd_bn_bias) in WAYS.items():
        learn.model[1].load_state_dict(h0); set_seed(seed); learn.opt_func, learn.wd_bn_bias = opt, wd_bn_bias
        with c.head():
            t = time.time()
            lr = lr0 or float(learn.lr_find(start_lr=1e-5, end_lr=1, num_it=50, show_plot=False).valley)
            learn.fit_one_cycle(10, lr, cbs=KeepBest()); out[way] = (learn.validate()[1], time.time() - t)
    c.close()
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', nargs='+', type=int, default=[42, 0, 1, 2, 3])
    p.add_argument('--data', nargs='+', default=['digits', 'pets', 'flowers'])
    a = p.parse_args()
    print(f'{torch.get_num_threads()} threads, torch {torch.__version__}')
    print('| data | seed | ' + ' | '.join(f'{w}: accuracy, s' for w in WAYS) + ' |')
    print('|---|---|' + '---|'*len(WAYS))
    for name in a.data:
        for s in a.seeds:
            r = run(name, s)
            print(f'| {name} | {s} | ' + ' | '.join(f'{acc:.4f}, {t:.1f}' for acc, t in r.values()) + ' |', flush=True)
