"""The whole recipe (`tl_train`: data, cached frozen stage, last stage unfrozen, report, export) on 1 and on N processes,
side by side, timed in one run.

On a machine with GPUs, N is the number of GPUs and each process has one (NCCL). Without GPUs, N is 2 CPU processes on
gloo, each with one thread, against one process with one thread and with two: on a 2-core machine the processes share the
same two cores, so the ratio shows what the distribution costs (gathering the cache, an all-reduce per batch, two
processes starting and reading the data), not a speed-up: there is no second GPU's worth of compute to gain. What it can
show is that two processes are not much slower than one with both cores; the speed-up is a GPU measurement.

Run: python bench/distributed.py [--n 1797] [--size 64] [--repeats 2]
"""
import argparse, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

BIN = Path(sys.executable).parent

def run(src, out, nproc, threads, size):
    "Wall seconds and final accuracy of `tl_train` on `nproc` processes of `threads` threads each"
    from helpers import opt  # fastcore's spelling of an option: --freeze_epochs (1) or --freeze-epochs (2)
    args = [BIN/'tl_train', src, '--out', out, '--size', size, '--bs', 32, opt('freeze_epochs'), 8, opt('epochs'), 2,
            '--flip', 'False']
    if nproc > 1:
        args = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', nproc, '--no-python', *args]
    t = time.time()
    p = subprocess.run(list(map(str, args)), capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS=str(threads), MPLBACKEND='Agg'))
    took = time.time() - t
    if p.returncode: sys.exit(p.stdout[-3000:] + p.stderr[-3000:])
    return took, float(re.search(r'final valid accuracy (\d\.\d+)', p.stdout).group(1))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=1797); ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--repeats', type=int, default=2)
    a = ap.parse_args()
    import torch
    sys.path.insert(0, str(Path(__file__).parent.parent/'tests'))
    from helpers import to_folders
    from tl_recipes.demo import make_digits
    work = Path(tempfile.mkdtemp())
    src = to_folders(make_digits(n=a.n), work/'digits')
    gpus = torch.cuda.device_count()
    cores = os.cpu_count()
    cases = ([('1 process, 1 GPU', 1, max(cores//2, 1)), (f'{gpus} processes, 1 GPU each', gpus, max(cores//(2*gpus), 1))]
             if gpus > 1 else
             [('1 process, 1 thread', 1, 1), ('1 process, 2 threads', 1, 2), ('2 processes, 1 thread each (gloo)', 2, 1)])
    res = {c[0]: [] for c in cases}
    for r in range(a.repeats):  # alternated, so that a slow minute of the machine falls on every case
        for name, nproc, threads in cases:
            res[name].append(run(src, work/f'run_{r}_{nproc}_{threads}', nproc, threads, a.size))
    dev = torch.cuda.get_device_name(0) if gpus else f'{cores} CPU cores'
    print(f"tl_train on {a.n} digits at {a.size} px (8 frozen epochs, 2 on the last stage), {dev}, best of {a.repeats}")
    base = min(t for t, _ in res[cases[0][0]])
    print('| run | seconds | ratio to the first | final accuracy |\n|---|---|---|---|')
    for name, v in res.items():
        t = min(x for x, _ in v)
        print(f"| {name} | {t:.1f} | {t/base:.2f} | {', '.join(f'{acc:.4f}' for _, acc in v)} |")
    shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
