"""One step of the head on cached features, by optimizer: where the frozen stage's head fit spends its time.

The head fastai's `create_head` builds for EfficientNet-Lite0 (after pooling: BatchNorm, dropout, 2560 -> 512, ReLU,
BatchNorm, dropout, 512 -> 10; 1.3 million parameters), a batch of 64 random features, one training step (forward,
backward, optimizer step), timed with each optimizer side by side in one process, then a profile of the steps with
torch's for-loop AdamW. Results: bench/optimizer.md.

    python bench/optimizer.py
"""
import time, torch
from torch import nn
from fastai.vision.all import create_head, Adam

torch.manual_seed(0)
head = create_head(1280, 10)[2:]  # what trains on the cached features
x, y, lf = torch.randn(64, 2560), torch.randint(0, 10, (64,)), nn.CrossEntropyLoss()

def step(opt):
    loss = lf(head(x), y); loss.backward(); opt.step(); opt.zero_grad()

def ms(opt, n=200):
    for _ in range(20): step(opt)
    t = time.perf_counter()
    for _ in range(n): step(opt)
    return (time.perf_counter() - t) / n * 1000

kw = dict(lr=2e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)  # fastai's `Adam` defaults
OPTS = {"fastai's Adam (the learner's default)": lambda: Adam(list(head.parameters()), 2e-3),
        "torch AdamW, foreach": lambda: torch.optim.AdamW(head.parameters(), foreach=True, **kw),
        "torch AdamW, for-loop": lambda: torch.optim.AdamW(head.parameters(), foreach=False, **kw),
        "torch AdamW, fused": lambda: torch.optim.AdamW(head.parameters(), fused=True, **kw)}

if __name__ == '__main__':
    print(f'{torch.get_num_threads()} threads, torch {torch.__version__}')
    for rnd in range(2):  # two rounds, alternated
        for name, f in OPTS.items(): print(f'round {rnd}  {name:<40}{ms(f()):6.2f} ms a step', flush=True)
    from torch.profiler import profile
    opt = OPTS["torch AdamW, for-loop"]()
    with profile() as p:
        for _ in range(50): step(opt)
    print(p.key_averages().table(sort_by='self_cpu_time_total', row_limit=8))
