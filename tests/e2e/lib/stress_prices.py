#!/usr/bin/python3
"""stress_prices.py OUTDIR - four synthetic daily price histories, the same on
every machine (seeded), each a path decision rules are judged on besides
real prices: 4 correlated instruments (rho 0.6), geometric Brownian motion
by segment (days, annual drift, annual volatility), business days from
2001-01-02:

  crash       a calm rise (1.5 years, +12 %/y, 12 %), a crash (15 days at
              -800 %/y, 60 %: about -40 %), a turbulent floor (45 days, 40 %),
              a recovery (+10 %/y, 18 %)
  slow_bleed  a rise (half a year), two years falling 15 %/y at 10 % vol,
              then half a year of slow rise
  whipsaw     no trend: a 45-day cycle of +-5 % plus an AR(1) wobble, the
              ground a trend follower loses on
  calm_trend  three years rising 12 %/y at 10 % vol
"""
import datetime
import math
import random
import sys


def days(n):
    d, out = datetime.date(2001, 1, 2), []
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d.isoformat())
        d += datetime.timedelta(days=1)
    return out


def write(path, series):
    dates = days(len(series[0]))
    with open(path, "w") as f:
        f.write("date," + ",".join(f"I{i}" for i in range(len(series))) + "\n")
        for t, d in enumerate(dates):
            f.write(d + "," + ",".join("%.4f" % s[t] for s in series) + "\n")


def gbm(seed, segments, n=4, rho=0.6):
    rnd = random.Random(seed)
    series = [[100.0] for _ in range(n)]
    for length, mu_y, vol_y in segments:
        mu, sd = mu_y / 260, vol_y / math.sqrt(260)
        for _ in range(length):
            m = rnd.gauss(0, 1)
            for s in series:
                e = math.sqrt(rho) * m + math.sqrt(1 - rho) * rnd.gauss(0, 1)
                s.append(s[-1] * math.exp(mu - sd * sd / 2 + sd * e))
    return series


def whipsaw(seed, length=780, n=4):
    rnd = random.Random(seed)
    series = []
    for i in range(n):
        x, s = 0.0, [100.0]
        for t in range(length):
            x = 0.9 * x + rnd.gauss(0, 0.012)
            s.append(100 * math.exp(0.05 * math.sin(2 * math.pi * t / 45 + i) + x))
        series.append(s)
    return series


out = sys.argv[1]
write(f"{out}/crash.csv", gbm(1, [(390, 0.12, 0.12), (15, -8.0, 0.60), (45, 0.0, 0.40), (330, 0.10, 0.18)]))
write(f"{out}/slow_bleed.csv", gbm(2, [(130, 0.10, 0.12), (520, -0.15, 0.10), (130, 0.05, 0.12)]))
write(f"{out}/whipsaw.csv", whipsaw(3))
write(f"{out}/calm_trend.csv", gbm(4, [(780, 0.12, 0.10)]))
