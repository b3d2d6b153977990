"""How an epoch on the cache goes over the cached views: every row once (the recipe), or one view per image drawn at random.

The training set of an `ActivationCache` holds 1 + `n_aug` passes over the images. An epoch over every row takes
(1 + n_aug) times the steps of an epoch on the images; one view per image, drawn at random, takes as many steps as an
epoch on the images. This runs the tutorials' stand-ins both ways from the same cache and the same initial head: Pets
(4 epochs at `lr_find`'s valley, as 11_pets) and flowers (the dense head, 10 epochs at 2e-4 with `KeepBest`, as
12_flowers), and a third way, every row at three times the batch size (the one-view number of steps). Results:
bench/views.md.

    python bench/views.py [--seeds 42 0 1]
"""
import argparse, copy, time, warnings
import torch
from fastai.vision.all import *
from tl_recipes.all import *
import tl_recipes.cache as C
from tl_recipes.data import tutorial_setup

warnings.filterwarnings('ignore')
every_row = C._rows_dl

def one_view(x, y, bs, views=1, shuffle=False, device=None):
    "The loader before this change: an epoch sees each image once, in one of its `views` drawn at random"
    n = len(y)
    def do_batch(b):
        b = torch.tensor(b); v = torch.randint(views, (len(b),)) if shuffle else torch.zeros(len(b), dtype=torch.long)
        return x[v*n + b].float(), y[b]
    return DataLoader(range(n), bs=bs, shuffle=shuffle, drop_last=shuffle, device=device, do_batch=do_batch)

WAYS = {'every row': every_row, 'one view': one_view,
        'every row, bs x3': lambda x, y, bs, *a, **k: every_row(x, y, bs*3 if k.get('shuffle') else bs, *a, **k)}

def run(name:str, seed:int)->dict:
    cfg = tutorial_setup(name, offline=True); set_seed(seed)
    if name == 'pets':
        dls = regex_dls(cfg.path, pat=r'^(.+)_\d+\.jpg$', size=cfg.size, seed=seed, num_workers=cfg.num_workers)
        learn, fit = transfer_learner(dls, cfg.arch), lambda l: l.fit_one_cycle(4, l.lr_find(show_plot=False).valley)
    else:
        dls = folder_dls(cfg.path, valid_pct=0.1, seed=seed, size=cfg.size, num_workers=cfg.num_workers)
        learn, fit = transfer_learner(dls, cfg.arch, head='dense'), lambda l: l.fit_one_cycle(10, 2e-4, cbs=KeepBest())
    learn.remove_cb(ProgressCallback)
    c, h0, out = ActivationCache(learn, 2), copy.deepcopy(learn.model[1].state_dict()), {}
    for way, rows_dl in WAYS.items():
        learn.model[1].load_state_dict(h0); set_seed(seed); C._rows_dl = rows_dl
        try:
            with c.head(): t = time.time(); fit(learn); out[way] = (learn.validate()[1], time.time() - t)
        finally: C._rows_dl = every_row
    return out

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seeds', nargs='+', type=int, default=[42, 0, 1])
    a = p.parse_args()
    print('| stand-in | seed | ' + ' | '.join(f'{w}: accuracy, s' for w in WAYS) + ' |')
    print('|---|---|' + '---|'*len(WAYS))
    for name in ('pets', 'flowers'):
        for s in a.seeds:
            r = run(name, s)
            print(f'| {name} | {s} | ' + ' | '.join(f'{acc:.4f}, {t:.1f}' for acc, t in r.values()) + ' |', flush=True)
