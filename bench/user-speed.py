#!/usr/bin/env python3
"""Issue #12's measure: what a user sees from a fresh process, ggufc against llama.cpp, side by side.

For each model (1B-class Q8_0, Q4_0, Q4_K from `ggufc synth`, and stories260K), threads, prompt (8 and
128 tokens) and generation length (-n 32, -n 256): one fresh `ggufc run --artifact A ... --timings`
process and one fresh `llama-completion` process (the reference build, same GGUF, prompt, threads,
greedy, EOS ignored), alternating, REPS times; medians of the prompt and decode tok/s each prints, of the
whole-process wall time and of the peak RSS. Also: time to the first generated token (`-n 1`, wall,
8-token prompt), `ggufc compile` wall time, peak RSS against mapped weights + 300 MB, and (bench/fidelity.sh) how
often greedy texts equal llama.cpp's on stories260K's quantized variants.

Writes the tables and the target checklist between the `user-speed` markers of bench/REPORT.md
(everything else in it is kept) and prints them.

usage: bench/user-speed.py [--reps 3] [--quick] [--threads 1,2] [--no-fidelity] [--no-write]
       (--quick: 1 rep, 8-token prompt, -n 32 only)
"""
import argparse, os, re, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MODELS = Path(os.environ.get("GGUFC_BENCH_MODELS", Path.home() / ".cache" / "ggufc-bench"))
PROMPT8 = "Once upon a time there was a"
PROMPT128 = ("Once upon a time, in a small village at the edge of a great forest, there lived a young girl named Lily "
             "who loved to explore. Every morning she walked along the river, listening to the birds and collecting "
             "smooth stones. One day she found a tiny door hidden beneath the roots of an old oak tree. She knocked "
             "three times, and the door opened slowly. Inside was a warm room full of books, candles and a sleepy cat. "
             "The cat looked at her and said, \"You are late, Lily. We have been waiting for you all summer.\" Lily "
             "laughed, sat down and")
BEGIN, END = "<!-- user-speed:begin -->", "<!-- user-speed:end -->"


def ref_bin():
    env = subprocess.run(["bash", "-c", f"source {SHARED}/reference/_env.sh && echo $REF_BIN"], capture_output=True, text=True, check=True)
    return Path(env.stdout.strip())


def timed(cmd, env=None):
    """Runs cmd; returns (wall seconds, stdout, stderr); peak RSS comes from /usr/bin/time (with_rss)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = p.communicate()
    wall = time.perf_counter() - t0
    return wall, out.decode(errors="replace"), err.decode(errors="replace")


def with_rss(cmd):
    return ["/usr/bin/time", "-f", "GGUFC_BENCH_RSS_KB=%M"] + cmd


def rss_mb(err):
    m = re.search(r"GGUFC_BENCH_RSS_KB=(\d+)", err)
    return int(m.group(1)) / 1024 if m else float("nan")


def ours(art, prompt, n, threads):
    cmd = with_rss([str(ROOT / "ggufc"), "run", "--artifact", str(art), "-p", prompt, "-n", str(n), "--temp", "0",
                    "-t", str(threads), "--ignore-eos", "--timings"])
    wall, out, err = timed(cmd)
    m = re.search(r"timings: load (\d+) ms, prompt (\d+) tok ([\d.]+) tok/s, decode (\d+) tok ([\d.]+) tok/s", err)
    if not m:
        sys.exit(f"user-speed: no timings line from {' '.join(cmd)}:\n{err[-2000:]}")
    return dict(wall=wall, rss=rss_mb(err), ptok=int(m.group(2)), pp=float(m.group(3)), tg=float(m.group(5)), text=out)


def llama(ref, gguf, prompt, n, threads):
    cmd = with_rss([str(ref / "llama-completion"), "-m", str(gguf), "-p", prompt, "-n", str(n), "--temp", "0", "-no-cnv",
                    "-t", str(threads), "--ignore-eos"])
    wall, out, err = timed(cmd)
    pm = re.search(r"prompt eval time =\s*[\d.]+ ms /\s*(\d+) tokens \(.*?([\d.]+) tokens per second\)", err)
    em = re.search(r"\beval time =\s*[\d.]+ ms /\s*(\d+) runs\s*\(.*?([\d.]+|inf) tokens per second\)", err)
    if not pm or not em:
        sys.exit(f"user-speed: no perf lines from {' '.join(cmd)}:\n{err[-2000:]}")
    return dict(wall=wall, rss=rss_mb(err), ptok=int(pm.group(1)), pp=float(pm.group(2)), tg=float(em.group(2)), text=out)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt(x):
    return "-" if x != x else (f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-write", action="store_true", help="print only, leave bench/REPORT.md alone")
    ap.add_argument("--no-fidelity", action="store_true", help="skip bench/fidelity.sh (greedy texts against llama.cpp, 5-9 minutes)")
    a = ap.parse_args()
    reps = 1 if a.quick else a.reps
    threads = [int(t) for t in a.threads.split(",")]
    ref = ref_bin()
    subprocess.run([str(ROOT / "ggufc"), "--version"], check=True, capture_output=True)  # builds if needed
    MODELS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ggufc-user-speed-"))
    lines = []
    say = lambda s="": (print(s, flush=True), lines.append(s))
    try:
        models = []
        for t in ["Q8_0", "Q4_0", "Q4_K"]:
            g = MODELS / f"llama-1b-{t}.gguf"
            if not g.exists():
                subprocess.run([str(ROOT / "ggufc"), "synth", "--preset", "llama-1b", "--type", t, "-o", str(g)], check=True)
            models.append((f"llama-1b {t}", g))
        models.append(("stories260K", SHARED / "models" / "stories260K.gguf"))
        arts, compile_s = {}, {}
        for name, g in models:
            art = work / (g.stem + ".aot")
            t0 = time.perf_counter()
            subprocess.run([str(ROOT / "ggufc"), "compile", "--model", str(g), "-o", str(art)], check=True, capture_output=True)
            compile_s[name] = time.perf_counter() - t0
            arts[name] = art
        load = " ".join(open("/proc/loadavg").read().split()[:3])
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        say(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {cpu}, {os.cpu_count()} vCPUs, load average at start {load}; "
            f"ggufc {subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}; "
            f"{reps} fresh processes of each tool per cell, alternating, medians.")
        say()
        cells = []
        for name, g in models:
            big = name != "stories260K"
            for th in (threads if big else [1]):
                for plabel, prompt in ([("8", PROMPT8)] if a.quick or not big else [("8", PROMPT8), ("128", PROMPT128)]):
                    for n in ([32] if a.quick else [32, 256] if big else [256]):
                        cells.append((name, g, th, plabel, prompt, n))
        results = {c[:4] + (c[5],): ([], []) for c in cells}
        ttft = {name: ([], []) for name, _ in models}
        for r in range(reps):
            for name, g, th, plabel, prompt, n in cells:
                key = (name, g, th, plabel, n)
                results[key][0].append(ours(arts[name], prompt, n, th))
                results[key][1].append(llama(ref, g, prompt, n, th))
                print(f"  rep {r + 1}/{reps} {name} t{th} p{plabel} n{n}: ggufc {results[key][0][-1]['pp']:.1f}/{results[key][0][-1]['tg']:.1f} "
                      f"llama.cpp {results[key][1][-1]['pp']:.1f}/{results[key][1][-1]['tg']:.1f} tok/s", file=sys.stderr, flush=True)
            for name, g in models:
                ttft[name][0].append(ours(arts[name], PROMPT8, 1, 1)["wall"])
                ttft[name][1].append(llama(ref, g, PROMPT8, 1, 1)["wall"])
        say("| model | threads | prompt tok | -n | prompt tok/s ggufc / llama.cpp | ratio | decode tok/s ggufc / llama.cpp | ratio | wall s ggufc / llama.cpp | peak RSS MB ggufc / llama.cpp |")
        say("| --- | ---: | ---: | ---: | --- | ---: | --- | ---: | --- | --- |")
        checks = []
        for key, (o, l) in results.items():
            name, g, th, plabel, n = key
            opp, lpp = med([x["pp"] for x in o]), med([x["pp"] for x in l])
            otg, ltg = med([x["tg"] for x in o]), med([x["tg"] for x in l])
            ow, lw = med([x["wall"] for x in o]), med([x["wall"] for x in l])
            orss, lrss = med([x["rss"] for x in o]), med([x["rss"] for x in l])
            ptok = o[0]["ptok"]
            if ptok != l[0]["ptok"]:
                say(f"(prompt token counts differ: ggufc {ptok}, llama.cpp {l[0]['ptok']})")
            say(f"| {name} | {th} | {ptok} | {n} | {fmt(opp)} / {fmt(lpp)} | {opp / lpp:.2f}x | {fmt(otg)} / {fmt(ltg)} | {otg / ltg:.2f}x | "
                f"{ow:.2f} / {lw:.2f} | {orss:.0f} / {lrss:.0f} |")
            want = 1.0 if ("Q8_0" in name or name == "stories260K") else 0.8
            if name != "stories260K":
                checks.append((f"{name}, {th} thread(s), {ptok}-token prompt, -n {n}: prompt >= {want}x", opp / lpp >= want, f"{opp / lpp:.2f}x"))
            checks.append((f"{name}, {th} thread(s), {ptok}-token prompt, -n {n}: decode >= {want}x", otg / ltg >= want, f"{otg / ltg:.2f}x"))
            checks.append((f"{name}, {th} thread(s), {ptok}-token prompt, -n {n}: wall <= llama-completion's", ow <= lw, f"{ow:.2f} s vs {lw:.2f} s"))
            if name != "stories260K":
                mapped = g.stat().st_size / 2**20
                # the KV cache is reserved, not touched (ReservedMemory): its written pages are in the RSS already
                checks.append((f"{name}, {th} thread(s), -n {n}: peak RSS <= mapped weights + 300 MB (KV pages written included)", orss <= mapped + 300,
                               f"{orss:.0f} MB vs {mapped:.0f} + 300"))
        say()
        say("| model | first token, `run -n 1`, 8-token prompt, 1 thread: wall s ggufc / llama.cpp | `ggufc compile` wall s (JVM cache training included) |")
        say("| --- | --- | ---: |")
        for name, g in models:
            o, l = med(ttft[name][0]), med(ttft[name][1])
            say(f"| {name} | {o:.2f} / {l:.2f} | {compile_s[name]:.1f} |")
            if name != "stories260K":
                checks.append((f"{name}: first token < 1 s (8-token prompt)", o < 1.0, f"{o:.2f} s"))
                checks.append((f"{name}: compile < 20 s", compile_s[name] < 20, f"{compile_s[name]:.1f} s"))
        say()
        met = sum(1 for c in checks if c[1])
        say(f"Targets: {met} of {len(checks)} met.")
        say()
        for what, ok, got in checks:
            say(f"- [{'x' if ok else ' '}] {what}: {got}")
        if not a.no_fidelity:
            fid = subprocess.run([str(ROOT / "bench" / "fidelity.sh")], capture_output=True, text=True, check=True).stdout.strip().splitlines()
            say()
            say("Greedy fidelity (`bench/fidelity.sh`, the target: the vector kernels equal llama.cpp's text at least as often as the interpreter):")
            say()
            for line in fid[2:]:
                say(line)
        say(f"\nload average at end {' '.join(open('/proc/loadavg').read().split()[:3])}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not a.no_write:
        report = ROOT / "bench" / "REPORT.md"
        text = report.read_text()
        block = BEGIN + "\n" + "\n".join(lines) + "\n" + END
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
        else:
            text += "\n" + block + "\n"
        report.write_text(text)
        print(f"user-speed: wrote {report}", file=sys.stderr)


if __name__ == "__main__":
    main()
