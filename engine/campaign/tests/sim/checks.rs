//! Invariants checked after a simulation ran to its end (the per-decision ones are checked
//! online by the harness).

use voxgate_campaign::UnixMs;
use voxgate_campaign::admission::Limits;

use super::Sim;

/// Starts in any window `[t0, t1]` (up to 3 s long) never exceed what a token bucket allows:
/// burst + rate × (t1 - t0), with burst = max(1, cps). Returns the most starts seen in any
/// sliding 1 s window.
pub fn check_rate(what: &str, times: &[UnixMs], limits: Limits) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let mut max_in_second = 0;
    for (i, &t0) in sorted.iter().enumerate() {
        let in_second = sorted[i..].iter().take_while(|&&t| t < t0 + 1_000).count();
        max_in_second = max_in_second.max(in_second);
        let Some(cps) = limits.calls_per_second else {
            continue;
        };
        for (j, &t1) in sorted.iter().enumerate().skip(i) {
            if t1 - t0 > 3_000 {
                break;
            }
            let allowed = cps.max(1.0) + cps * (t1 - t0) as f64 / 1000.0;
            let n = j - i + 1;
            assert!(
                n as f64 <= allowed + 1e-6,
                "{what}: {n} starts in {} ms at {cps}/s",
                t1 - t0
            );
        }
    }
    max_in_second
}

/// Every limit's rate, the redial rules, and that every permit, slot and caller ID came back.
pub fn check_after_run(sim: &Sim) {
    let all: Vec<UnixMs> = sim.starts.iter().map(|s| s.at).collect();
    check_rate("engine", &all, sim.engine);
    for (name, limits) in &sim.trunks {
        let times: Vec<UnixMs> = sim
            .starts
            .iter()
            .filter(|s| &s.trunk == name)
            .map(|s| s.at)
            .collect();
        check_rate(name, &times, *limits);
    }
    for (id, spec) in &sim.specs {
        let times: Vec<UnixMs> = sim
            .starts
            .iter()
            .filter(|s| &s.campaign == id)
            .map(|s| s.at)
            .collect();
        check_rate(id, &times, spec.limits);
    }
    check_redials(sim);
    let stats = sim.dialer.stats(sim.now);
    assert_eq!(sim.calls_up(), 0);
    assert_eq!(
        (stats.engine_active, stats.in_flight, stats.double_releases),
        (0, 0, 0)
    );
    assert!(stats.trunks.values().all(|&n| n == 0), "{:?}", stats.trunks);
    for (id, c) in &stats.campaigns {
        assert_eq!((c.active_calls, c.caller_ids_leased), (0, 0), "{id}");
    }
}

/// Each number's attempts follow the redial rules exactly: a redial only after a result with
/// a rule, under its `max_attempts`, not before its delay; and the last attempt ended the
/// number (no rule, or attempts used up).
fn check_redials(sim: &Sim) {
    for (id, (campaign, stored)) in &sim.store {
        let policy = &sim.specs[campaign].redial;
        let history = sim.history.get(id).map(Vec::as_slice).unwrap_or_default();
        let skipped = sim.skipped.iter().filter(|s| s.1 == *id).count();
        assert!(skipped <= 1);
        assert_eq!(
            stored.attempts as usize,
            history.len() + skipped,
            "number {id}"
        );
        for (k, pair) in history.windows(2).enumerate() {
            let (end, result) = (pair[0].end.expect("ended"), pair[0].result.expect("ended"));
            let rule = policy.rules.get(&result);
            let rule = rule.unwrap_or_else(|| panic!("number {id} redialled after {result}"));
            assert!(
                (k as u32 + 1) < rule.max_attempts,
                "number {id}: too many attempts"
            );
            assert!(
                pair[1].start >= end + rule.delay_ms,
                "number {id} redialled too early"
            );
        }
        if stored.next_at.is_none()
            && skipped == 0
            && let Some(last) = history.last()
        {
            let result = last.result.expect("ended");
            let n = history.len() as u32;
            assert!(
                policy
                    .rules
                    .get(&result)
                    .is_none_or(|r| n >= r.max_attempts),
                "number {id} dropped after {result} with attempts left"
            );
        }
    }
}
