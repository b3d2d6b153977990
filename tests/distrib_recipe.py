"""The recipe as a user runs it in their own script, inside fastai's `distrib_ctx`: `python distrib_recipe.py OUT SEED`
for one process, `torchrun --nproc_per_node 2 distrib_recipe.py OUT SEED` for two. Each process saves its final weights
and metrics in OUT/rank{RANK}.pth and OUT/rank{RANK}.json, for tests/test_distributed.py and bench/distributed.py."""
import json, sys, time
from pathlib import Path
import torch
from tl_recipes.all import *

out, seed = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 42
n, frozen, unfrozen = 1797, 10, 1
set_seed(seed)
dls = regex_dls(make_digits(n=n), size=64, flip=False, min_scale=1.0, bs=32, num_workers=0, seed=seed)
learn = transfer_learner(dls)
t0 = time.time()
with learn.distrib_ctx(sync_bn=False, cpu=True):  # on GPUs: learn.distrib_ctx()
    res = learn.fine_tune_recipe(unfrozen, freeze_epochs=frozen)
res['seconds'] = time.time() - t0
out.mkdir(parents=True, exist_ok=True)
r = rank_distrib()
torch.save(learn.model.state_dict(), out/f'rank{r}.pth')
(out/f'rank{r}.json').write_text(json.dumps(dict(res, world=max(num_distrib(), 1))))
