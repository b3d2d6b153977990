"""The hostile-user checklist (issue 16): runs tests/test_hostile.py and prints how many of its cases hold.
Run: .venv/bin/python bench/hostile.py"""
import re, subprocess, sys
from pathlib import Path

root = Path(__file__).parent.parent
p = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-rA', '-p', 'no:cacheprovider', str(root/'tests'/'test_hostile.py')],
                   capture_output=True, text=True, cwd=root)
cases = re.findall(r'^(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS) (?:\[\d+\] )?\S*?(test_\S+)', p.stdout, re.M)
for outcome, name in cases: print(f"{'holds' if outcome == 'PASSED' else outcome.lower():<8} {name}")
print(f"{sum(o == 'PASSED' for o, _ in cases)} of {len(cases)} cases hold")
sys.exit(p.returncode)
