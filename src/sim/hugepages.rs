//! Transparent huge pages for a simulation's heap (Linux with glibc).
//!
//! Every event of a simulation touches another peer's state: at 2000 peers that is
//! ~25 MB read in no particular order, some 6000 pages of 4 KiB, more than the TLB
//! maps. glibc's tunable `glibc.malloc.hugetlb=1` makes malloc ask the kernel for
//! transparent huge pages (`madvise(MADV_HUGEPAGE)`) on the memory it takes for its
//! heap, so the same data sits on a dozen 2-MiB pages. Measured on the 2-vCPU
//! machine with `benches/pair.sh` (both builds at once, one per core): docs-2k in
//! 0.93–0.94× the wall time (two sets of 6 pairs), docs-1k in 0.90×; peak memory per
//! peer unchanged (9.68 against 9.87 KB at 5k–10k peers).
//!
//! glibc reads its tunables from the environment once, at start-up, so `ipv8sim run`
//! re-executes itself with the tunable added to `GLIBC_TUNABLES` ([`reexec_tunables`]);
//! nothing else changes. It does not when the kernel offers no huge pages, when
//! `GLIBC_TUNABLES` already names the tunable (whatever its value), or when
//! `IPV8SIM_HUGE_PAGES=0`. Simulated behaviour never depends on it: only where the
//! bytes live changes, and results are byte-identical either way.

/// The glibc tunable.
pub const TUNABLE: &str = "glibc.malloc.hugetlb";
/// The environment variable that turns the re-execution off (`0`).
pub const OPT_OUT: &str = "IPV8SIM_HUGE_PAGES";

/// Whether the kernel gives transparent huge pages to memory that asks for them
/// (`always` or `madvise` in `/sys/kernel/mm/transparent_hugepage/enabled`).
pub fn thp_available() -> bool {
    std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .map(|s| s.contains("[always]") || s.contains("[madvise]"))
        .unwrap_or(false)
}

/// The value `GLIBC_TUNABLES` gives the tunable, if it names it.
fn tunable_value(tunables: &str) -> Option<&str> {
    tunables
        .split(':')
        .find_map(|t| t.strip_prefix(TUNABLE)?.strip_prefix('='))
}

/// The `GLIBC_TUNABLES` value to re-execute with (`current` plus the tunable), or
/// `None` to carry on as is: not Linux with glibc, no huge pages offered, the
/// tunable already set either way, or [`OPT_OUT`] = `0`.
pub fn reexec_tunables(current: Option<&str>, opt_out: Option<&str>) -> Option<String> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) || opt_out == Some("0") {
        return None;
    }
    let current = current.unwrap_or("");
    if tunable_value(current).is_some() || !thp_available() {
        return None;
    }
    Some(if current.is_empty() {
        format!("{TUNABLE}=1")
    } else {
        format!("{current}:{TUNABLE}=1")
    })
}

/// Whether this process's heap asks for huge pages (glibc tunable set to 1 and the
/// kernel offering them), as `summary.json`'s `heap_huge_pages` reports.
pub fn heap_huge_pages() -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
        && std::env::var("GLIBC_TUNABLES")
            .ok()
            .is_some_and(|t| tunable_value(&t) == Some("1"))
        && thp_available()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tunable_is_found_among_others() {
        assert_eq!(tunable_value("glibc.malloc.hugetlb=1"), Some("1"));
        assert_eq!(
            tunable_value("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0"),
            Some("0")
        );
        assert_eq!(tunable_value("glibc.malloc.hugetlbx=1"), None);
        assert_eq!(tunable_value("glibc.malloc.arena_max=2"), None);
        assert_eq!(tunable_value(""), None);
    }

    #[test]
    fn reexec_only_adds_a_missing_tunable() {
        // Set either way, or opted out: never re-execute.
        assert_eq!(reexec_tunables(Some("glibc.malloc.hugetlb=0"), None), None);
        assert_eq!(reexec_tunables(Some("glibc.malloc.hugetlb=1"), None), None);
        assert_eq!(reexec_tunables(None, Some("0")), None);
        let on = cfg!(all(target_os = "linux", target_env = "gnu")) && thp_available();
        let add = |c: Option<&str>| reexec_tunables(c, None);
        if on {
            assert_eq!(add(None).as_deref(), Some("glibc.malloc.hugetlb=1"));
            assert_eq!(
                add(Some("glibc.malloc.arena_max=2")).as_deref(),
                Some("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1")
            );
            assert_eq!(
                reexec_tunables(None, Some("1")).as_deref(),
                Some("glibc.malloc.hugetlb=1")
            );
        } else {
            assert_eq!(add(None), None);
        }
    }
}
