#!/usr/bin/env python3
"""Writes a mixed arrival trace for `kiln bench batching` (one JSON request a line).

Mix (uniform unless noted): steps 20/25/30/40/50; strength 0.3/0.45/0.6/0.75/0.9/1.0 or text-to-image
(null, 1 in 7); schedulers euler_a, dpmpp_2m, ddim, pndm; sizes 512x512 and 768x768; n 1-4 (weights
50/25/15/10 %); guidance 1, 3, 5, 7.5, 9 (1 = no classifier-free guidance); six accounts, one of them
sending a third of the traffic. Poisson arrivals at RATE jobs/s for SECONDS seconds.

usage: make_mixed_trace.py RATE SECONDS SEED > trace.jsonl
"""
import json
import random
import sys

rate, seconds, seed = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
t = 0.0
while True:
    t += rng.expovariate(rate)
    if t >= seconds:
        break
    strength = rng.choice([0.3, 0.45, 0.6, 0.75, 0.9, 1.0, None])
    side = rng.choice([512, 768])
    account = "acct-heavy" if rng.random() < 1 / 3 else "acct-%d" % rng.randrange(5)
    print(json.dumps({
        "at_ms": round(t * 1000),
        "steps": rng.choice([20, 25, 30, 40, 50]),
        "strength": strength,
        "scheduler": rng.choice(["euler_a", "dpmpp_2m", "ddim", "pndm"]),
        "width": side,
        "height": side,
        "n": rng.choices([1, 2, 3, 4], weights=[50, 25, 15, 10])[0],
        "guidance": rng.choice([1.0, 3.0, 5.0, 7.5, 9.0]),
        "account": account,
    }))
