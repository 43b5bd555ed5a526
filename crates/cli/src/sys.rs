//! The binary's calls into the C library: every `unsafe` block of the crate, each with its
//! `SAFETY` note (the crate denies `unsafe` elsewhere).

/// SQLite still allocates through glibc, which returns freed memory above 128 KiB to the system
/// at once and maps blocks of that size one by one: a planner or import batch then pays a page
/// fault for every page it touches again, batch after batch (a fifth of a planning run's time in
/// `perf`). Keeping up to 256 MiB of freed memory, and serving blocks up to 32 MiB from the heap,
/// removes that churn.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune_allocator() {
    // SAFETY: mallopt only changes allocator parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_allocator() {}

/// CPU seconds (user, system; every thread) this process has used so far.
pub fn cpu_seconds() -> Option<(f64, f64)> {
    // SAFETY: `rusage` is plain old data, for which all-zero bytes are a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes the struct it is given, which lives until it returns.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some((secs(usage.ru_utime), secs(usage.ru_stime)))
}
