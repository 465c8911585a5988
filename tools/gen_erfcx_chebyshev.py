"""Generate the Chebyshev coefficients of the branch-free erfcx used by the SIMD greeks kernel.

    (1 + 2y)·erfcx(y) = sum_n c_n T_n(t),   t = (y - K) / (y + K),   y in [0, inf)

maps the half line onto [-1, 1); the left side is smooth and bounded there
(it tends to 2/sqrt(pi) as y -> inf), so the series converges geometrically.
Run with mpmath installed: `python tools/gen_erfcx_chebyshev.py [K] [N]`; it
prints the Rust array and the max relative error of the truncated series on a
dense grid, evaluated in high precision.
"""

import sys

from mpmath import chebyt, cos, erfc, exp, mp, mpf, pi

mp.dps = 50
K = mpf(sys.argv[1]) if len(sys.argv) > 1 else mpf("4")
TERMS = int(sys.argv[2]) if len(sys.argv) > 2 else 24
NODES = 200


def target(t: mpf) -> mpf:
    if t >= 1:
        return 2 / mp.sqrt(pi)
    y = K * (1 + t) / (1 - t)
    return (1 + 2 * y) * exp(y * y) * erfc(y)


nodes = [cos(pi * (k + mpf("0.5")) / NODES) for k in range(NODES)]
values = [target(t) for t in nodes]
coeffs = []
for n in range(TERMS):
    c = 2 * sum(v * cos(pi * n * (k + mpf("0.5")) / NODES) for k, v in enumerate(values)) / NODES
    coeffs.append(c / 2 if n == 0 else c)


def series(t: mpf) -> mpf:
    return sum(c * chebyt(n, t) for n, c in enumerate(coeffs))


worst = mpf(0)
for i in range(2001):
    y = mpf(i) / 100 if i <= 1000 else mpf(10) * mpf(1.004) ** (i - 1000)
    t = (y - K) / (y + K)
    exact = (1 + 2 * y) * exp(y * y) * erfc(y)
    worst = max(worst, abs(series(t) / exact - 1))
print(f"// K = {K}, {TERMS} terms, max relative truncation error {mp.nstr(worst, 3)}")
print(f"const ERFCX_CHEBYSHEV: [f64; {TERMS}] = [")
for c in coeffs:
    print(f"    {float(c)!r},")
print("];")
