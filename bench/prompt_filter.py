"""What the prompt filter costs per submission (issue 15): `TermFilter.check` on prompts of
the maximum length (2000 characters) and a typical one, with the built-in list, a
deployment list and a school list of 200 terms (compiled once and cached per school).

    .venv/bin/python bench/prompt_filter.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from videogen.safety.filter import default_filter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    prompt_filter = default_filter(tuple(f"deploy{i}" for i in range(20)))
    school = [f"school term {i}" for i in range(200)]
    prompts = {
        "typical (60 chars)": "a volcano erupting over a village at dawn, drawn in chalk",
        "longest (2000 chars)": ("Scunthorpe classes paint Essex glasses " * 60)[:2000],
    }
    results = {}
    for name, prompt in prompts.items():
        assert prompt_filter.check(prompt, school_terms=school) is None
        samples = []
        for _ in range(rounds):
            start = time.perf_counter()
            prompt_filter.check(prompt, school_terms=school)
            samples.append((time.perf_counter() - start) * 1e6)
        samples.sort()
        results[name] = {
            "median_us": round(statistics.median(samples), 1),
            "p99_us": round(samples[int(len(samples) * 0.99)], 1),
        }
    print(json.dumps({"rounds": rounds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
