#!/usr/bin/env python3
"""Tests of bench/run's pure parts: the parsers of what tracers and tracefs
print, the matching of tracefs's frees to proclife's reaps, the order and
pairing of the target pairs, the medians' confidence intervals, and the
verdicts of the Targets table. Needs no root and runs nothing: scripts/test
runs it."""

import importlib.machinery
import importlib.util
import os
import tempfile
import types
import unittest
import unittest.mock

HERE = os.path.dirname(os.path.abspath(__file__))
_loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(HERE, "run"))
_spec = importlib.util.spec_from_loader("bench_run", _loader)
run = importlib.util.module_from_spec(_spec)
_loader.exec_module(run)

S = 10**9


def free(pid, t, tid=100):
    return {"pid": pid, "ns": t * S, "current": "x", "current_tid": tid}


class ParseFreeLine(unittest.TestCase):
    def parse(self, line):
        fr = run.parse_free_line(line)
        return fr and (fr["current"], fr["current_tid"], fr["ns"], fr["pid"])

    def test_irq_flags_column(self):
        self.assertEqual(
            self.parse(b"  tokio-rt-worker-75    [001] ..s.. 10511.630005: sched_process_free: "
                       b"comm=lg-storm pid=4854 prio=120\n"),
            ("tokio-rt-worker", 75, 10511630005000, 4854))

    def test_without_irq_flags(self):
        self.assertEqual(
            self.parse(b"        lg-storm-4852 [000] 12.000001: sched_process_free: "
                       b"comm=lg-storm pid=7 prio=120\n"),
            ("lg-storm", 4852, 12000001000, 7))

    def test_tgid_column_and_dashes_in_comm(self):
        self.assertEqual(
            self.parse(b"  my-prog -1 x-99  (   98) [001] d.s1. 12.5: sched_process_free: "
                       b"comm=lg-storm pid=8 prio=120\n"),
            ("my-prog -1 x", 99, 12500000000, 8))

    def test_unknown_comm_and_idle(self):
        line = b" [000] .Ns2. 1.2: sched_process_free: comm=a pid=3 prio=1\n"
        self.assertEqual(self.parse(b"   <...>-4877" + line)[:2], ("<...>", 4877))
        self.assertEqual(self.parse(b"  <idle>-0" + line)[:2], ("<idle>", 0))

    def test_other_lines(self):
        self.assertIsNone(self.parse(b"# tracer: nop\n"))
        self.assertIsNone(self.parse(b"  a-1 [000] ..s.. 1.2: sched_process_exit: comm=a pid=3 prio=1\n"))


class UnreceivedFrees(unittest.TestCase):
    def test_pid_reused(self):
        # pid 5: started at 1, 50, 90 s, freed at 2, 51, 91 s; only the second reap received.
        frees = [free(5, 2), free(5, 51), free(5, 91), free(6, 3)]
        missed = run.unreceived_frees(frees, [(5, 50 * S), (6, 1 * S)])
        self.assertEqual(sorted(fr["ns"] // S for fr in missed), [2, 91])

    def test_all_received(self):
        frees = [free(5, 2), free(5, 51)]
        self.assertEqual(run.unreceived_frees(frees, [(5, 1 * S), (5, 50 * S)]), [])


class InferredReaps(unittest.TestCase):
    def test_not_captured(self):
        with tempfile.NamedTemporaryFile("wb", suffix=".jsonl") as f:
            f.write(b'{"type":"reap","time":"t","pid":5,"comm":"lg-storm","start_ns":1}\n'
                    b'{"type":"reap","time":"t","pid":6,"comm":"lg-storm","start_ns":2,"inferred":true}\n')
            f.flush()
            counts, _, _ = run.count_proclife_json(f.name)
            self.assertEqual(counts, {"reap": 1, "reap_inferred": 1})
            self.assertEqual(run.storm_reaps(f.name), ([(5, 1)], 1))


def targets(bpf_ns=7000, submit_ns=1000, churn=None, rows=(), signal_bpf_ns=None, consumer_ns=None):
    failed = {"failed": "not run"}
    bpf = {"fork": {"ns_per_unit": bpf_ns, "unit": "process", "programs": {}}}
    if signal_bpf_ns:
        bpf["signal"] = {"ns_per_unit": signal_bpf_ns, "unit": "signal",
                         "programs": {"handle_signal_generate": {}, "handle_signal_deliver": {}}}
    consumer = {"ns_per_record": consumer_ns, "ns_range": [consumer_ns] * 2, "runs": 5,
                "user_ns_per_record": 0, "sys_ns_per_record": 0,
                "bytes_per_record": 227} if consumer_ns else failed
    floor = {"records_per_process": 4, "record_bytes": 88, "records_ns_per_process": 4 * submit_ns,
             "primitives": {run.FLOOR_SUBMIT: {"median": submit_ns, "range": [submit_ns, submit_ns],
                                               "rounds": 5}}}
    found = run.evaluate_targets(list(rows), churn or failed, failed, bpf, floor, consumer, failed, False)
    return {t["target"].split(" (")[0]: t for t in found}


PROCLIFE_JSON = [t for t in run.make_tracers("proclife") if t.name == run.PROCLIFE_JSON]


def signal_rows(ratios, consumer_us=None):
    """summarise()'s rows of a signal storm where untraced, one signal costs
    3.75 us of CPU, traced at these ratios of untraced (one per pair), with
    proclife spending consumer_us of CPU per signal."""
    if not isinstance(ratios, list):
        ratios = [ratios] * 3
    rate = os.cpu_count() / 3.75e-6
    untraced = [{"rate": rate, "truth": {"signals": rate * 1.5}} for _ in ratios]
    traced = []
    for ratio in ratios:
        signals = rate * ratio * 1.5
        traced.append({"rate": rate * ratio, "truth": {"signals": signals}})
        if consumer_us is not None:
            traced[-1]["storm_cpu_s"] = consumer_us * signals / 1e6
    results = {"signal": {"untraced": untraced, run.PROCLIFE_JSON: traced}}
    return run.summarise(results, {}, PROCLIFE_JSON)


def churn(missing_reaps, pid1_current):
    return {"lost": 0, "processes": 200000, "rate": 700, "captured": 800000 - missing_reaps,
            "expected": 800000,
            "expected_by_kind": {"fork": 200000, "reap": 200000},
            "captured_by_kind": {"fork": 200000, "reap": 200000 - missing_reaps},
            "free_witness": {"tracefs_frees": 200000, "never_received": missing_reaps,
                             "seen_by_tracefs": missing_reaps, "pid1_current": pid1_current,
                             "pid1_comm": "process_api", "inferred": 0, "current_tasks": {}}}


class Verdicts(unittest.TestCase):
    BPF = "<= 1.2 us of BPF run time per process"
    NEED = "the BPF target needs <= 300 ns per ring-buffer record"
    LOSS = "0 events lost over >= 200k processes"

    def test_bpf_at_the_limit_when_the_records_alone_exceed_it(self):
        t = targets()
        self.assertEqual(t[self.BPF]["status"], "at the limit")
        self.assertIn("4 per process x 1000 ns = 4.00 us", t[self.BPF]["figure"])
        self.assertEqual(t[self.NEED]["status"], "at the limit")

    def test_bpf_missed_when_the_records_fit(self):
        t = targets(submit_ns=250)
        self.assertEqual(t[self.BPF]["status"], "missed")
        self.assertEqual(t[self.NEED]["status"], "met")

    def test_bpf_met(self):
        self.assertEqual(targets(bpf_ns=1100, submit_ns=250)[self.BPF]["status"], "met")

    def test_loss_at_the_limit_when_every_missing_reap_ran_under_pid1(self):
        t = targets(churn=churn(30, 30))[self.LOSS]
        self.assertEqual(t["status"], "at the limit")
        self.assertIn("30 reaps never reached proclife; tracefs saw them all; 30 of 30 ran while "
                      "a thread of PID 1 (process_api) was current", t["figure"])

    def test_loss_missed_when_some_did_not(self):
        self.assertEqual(targets(churn=churn(30, 29))[self.LOSS]["status"], "missed")

    SIGNAL = "signal storm throughput, traced by proclife"

    def test_signal_at_the_limit_when_bpf_alone_exceeds_what_it_leaves(self):
        t = targets(rows=signal_rows(0.51), signal_bpf_ns=1290)[self.SIGNAL]
        self.assertEqual(t["status"], "at the limit")
        self.assertIn("a signal costs 3.75 us of CPU, so 0.75 leaves proclife 1.25 us per signal; "
                      "its BPF programs take 1.29", t["figure"])

    def test_signal_at_the_limit_with_the_consumer_of_each_event(self):
        t = targets(rows=signal_rows(0.51), signal_bpf_ns=1080, consumer_ns=210)[self.SIGNAL]
        self.assertEqual(t["status"], "at the limit")
        self.assertIn("its BPF programs take 1.08; the consumer alone needs 0.210 us per event, "
                      "0.42 for the 2 records (with the programs: 1.50)", t["figure"])

    def test_signal_figure_with_the_consumer_in_the_storm(self):
        t = targets(rows=signal_rows(0.8, consumer_us=0.5), signal_bpf_ns=1290,
                    consumer_ns=200)[self.SIGNAL]
        self.assertIn("its BPF programs take 1.29 + its consumer in the storm 0.50 (median of 3 "
                      "runs) = 1.79; the consumer alone needs 0.200 us per event", t["figure"])

    def test_interval_in_the_figure(self):
        # 21 pairs: the 6th and the 16th ratios bound the median's 95% interval.
        ratios = [0.90 + i / 100 for i in range(21)]
        rows = signal_rows(list(reversed(ratios)))
        traced = rows[1]
        self.assertAlmostEqual(traced["throughput_ratio"], 1.0)
        self.assertEqual([round(v, 6) for v in traced["throughput_ratio_ci95"]], [0.95, 1.05])
        t = targets(rows=rows)[self.SIGNAL]
        self.assertEqual(t["status"], "met")
        self.assertTrue(t["figure"].startswith(
            "1.000, 95% interval 0.950–1.050 (pairs ranked 6 and 16 of 21; range 0.90–1.10)"),
            t["figure"])

    def test_too_few_pairs_for_an_interval(self):
        t = targets(rows=signal_rows(0.8))[self.SIGNAL]
        self.assertTrue(t["figure"].startswith(
            "0.800 (0.80–0.80 over 3 pairs, too few for a 95% interval)"), t["figure"])

    def test_signal_missed_when_bpf_and_consumer_fit(self):
        t = targets(rows=signal_rows(0.51), signal_bpf_ns=900, consumer_ns=100)[self.SIGNAL]
        self.assertEqual(t["status"], "missed")

    def test_signal_met(self):
        self.assertEqual(targets(rows=signal_rows(0.8), signal_bpf_ns=1290)[self.SIGNAL]["status"], "met")

    def test_loss_met(self):
        self.assertEqual(targets(churn=churn(0, 0))[self.LOSS]["status"], "met")


class MedianInterval(unittest.TestCase):
    def test_known_ranks(self):
        # n=11: P(X <= 1) = 12/2048 = 0.6%, P(X <= 2) = 67/2048 = 3.3%.
        self.assertEqual(run.median_ci_ranks(11), (2, 10))
        # n=21: P(X <= 5) = 27896/2^21 = 1.3%, P(X <= 6) = 82160/2^21 = 3.9%.
        self.assertEqual(run.median_ci_ranks(21), (6, 16))
        # n=6: P(X = 0) = 1/64 = 1.6%, P(X <= 1) = 7/64 = 10.9%.
        self.assertEqual(run.median_ci_ranks(6), (1, 6))

    def test_too_few(self):
        # n=5: P(X = 0) = 1/32 = 3.1%: no pair of values is an interval of 95%.
        for n in range(6):
            self.assertIsNone(run.median_ci_ranks(n))
        self.assertIsNone(run.median_ci95([1.0] * 5))

    def test_values_at_the_ranks(self):
        values = [0.97, 1.01, 0.93, 0.99, 1.04, 0.98, 1.00, 0.95, 1.02, 0.96, 0.94]
        self.assertEqual(run.median_ci95(values), [0.94, 1.02])


class TargetPairs(unittest.TestCase):
    STORMS = ["fork", "exec", "threads", "signal"]

    def test_order_alternates(self):
        self.assertEqual(run.pair_schedule(4, self.STORMS[:2]),
                         [(0, "fork", True), (0, "exec", False),
                          (1, "exec", True), (1, "fork", False),
                          (2, "fork", True), (2, "exec", False),
                          (3, "exec", True), (3, "fork", False)])

    def test_order_is_balanced(self):
        for n in range(1, len(self.STORMS) + 1):
            storms = self.STORMS[:n]
            schedule = run.pair_schedule(18, storms)
            sequence = [(w, kind) for _, w, first in schedule
                        for kind in (("untraced", "traced") if first else ("traced", "untraced"))]
            for w in storms:
                firsts = [first for _, s, first in schedule if s == w]
                self.assertEqual(firsts, [(i + firsts[0] + 1) % 2 == 0 for i in range(18)],
                                 (storms, w))
                # What ran just before: a traced run as often before the
                # storm's untraced runs as before its traced runs.
                after_traced = {"untraced": 0, "traced": 0}
                for prev, cur in zip(sequence, sequence[1:]):
                    if cur[0] == w and prev[1] == "traced":
                        after_traced[cur[1]] += 1
                self.assertLessEqual(abs(after_traced["untraced"] - after_traced["traced"]), 1,
                                     (storms, w, after_traced))

    def test_rounds_run_every_other_one_backwards(self):
        calls = []

        def fake_run(bindir, workload, duration, tracer, settle):
            calls.append(tracer.name if tracer else "untraced")
            return {"rate": 100.0}

        tracers = [types.SimpleNamespace(name=n, workloads=["fork"]) for n in ("A", "B")]
        args = types.SimpleNamespace(rounds=3, workloads=["fork"], bindir="", duration=1, settle=0)
        with unittest.mock.patch.object(run, "log"):
            run.run_matrix(args, tracers, run=fake_run)
        self.assertEqual(calls, ["untraced", "A", "B", "B", "A", "untraced", "untraced", "A", "B"])

    def run_pairs(self, pairs, storms, fail_at=None):
        """run_target_pairs with runs that record when they ran."""
        calls = []

        def fake_run(bindir, workload, duration, tracer, settle):
            calls.append((workload, tracer))
            if len(calls) == fail_at:
                return {"failed": "no"}
            return {"rate": 100.0, "call": len(calls), "traced": tracer is not None}

        results = {w: {"untraced": [], run.PROCLIFE_JSON: []} for w in storms}
        args = types.SimpleNamespace(target_pairs=pairs, bindir="", duration=1, settle=0)
        with unittest.mock.patch.object(run, "log"):
            run.run_target_pairs(args, PROCLIFE_JSON, results, {}, run=fake_run)
        return results

    def test_pairing_by_index(self):
        results = self.run_pairs(6, self.STORMS)
        for w, runs in results.items():
            untraced, traced = runs["untraced"], runs[run.PROCLIFE_JSON]
            self.assertEqual(len(untraced), 6)
            self.assertEqual(len(traced), 6)
            for i, (u, t) in enumerate(zip(untraced, traced)):
                self.assertFalse(u["traced"])
                self.assertTrue(t["traced"])
                # Run i of each list ran next to each other, in alternating order.
                self.assertEqual(abs(u["call"] - t["call"]), 1)
                self.assertEqual(u["ran_first"], u["call"] < t["call"])
                self.assertEqual(t["ran_first"], not u["ran_first"])
            firsts = [u["ran_first"] for u in untraced]
            self.assertEqual(firsts.count(True), 3)

    def test_a_failed_pair_leaves_no_run_unpaired(self):
        # Pair 3 runs untraced first (call 5), then proclife, which fails to start.
        results = self.run_pairs(3, ["fork"], fail_at=6)
        self.assertEqual(len(results["fork"]["untraced"]), 2)
        self.assertEqual(len(results["fork"][run.PROCLIFE_JSON]), 2)


class PlotColumns(unittest.TestCase):
    """A tracer with no CPU figure (proclife zombies) would leave gnuplot a
    column with no point, and the chart without its CPU panel."""

    def test_cpu_panel_only_has_tracers_with_cpu(self):
        report = {"rows": [
            {"workload": "fork", "tracer": "untraced", "throughput_ratio": 1.0},
            {"workload": "fork", "tracer": run.PROCLIFE_JSON, "throughput_ratio": 0.98,
             "cpu_us_per_event": 2.7},
            {"workload": "fork", "tracer": run.ZOMBIES_MODE, "throughput_ratio": 1.0,
             "cpu_us_per_event": None},
            {"workload": "signal", "tracer": run.ZOMBIES_MODE, "throughput_ratio": 1.0},
            {"workload": "fork", "tracer": "forkstat", "failed": "no such file"},
        ]}
        _, tracers, with_cpu = run.plot_columns(report)
        self.assertEqual(tracers, [run.PROCLIFE_JSON, run.ZOMBIES_MODE])
        self.assertEqual(with_cpu, [run.PROCLIFE_JSON])


if __name__ == "__main__":
    unittest.main()
