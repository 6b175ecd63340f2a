//! Who holds a lease: this process's identity (`BOOT-ID/PID/START-TIME`), and whether the
//! process a lease names is certainly gone. The daemon lock and the outbox's claims use
//! it to take over from a process that died without waiting for its lease to run out.

/// This process, as a lease holder: `BOOT-ID/PID/START-TIME`. A later process on the same
/// machine can tell for sure whether the holder still runs.
pub fn process_identity() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let pid = std::process::id();
    let start = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| parse_stat(&s))
        .map_or(0, |(_, start)| start);
    format!("{}/{pid}/{start}", boot.trim())
}

/// Whether the process named by a lease is certainly gone: it ran on this machine since
/// its last boot, and its PID is free, a zombie, or now a different process. A holder on
/// another machine is never "gone"; its lease simply runs out.
pub fn owner_is_gone(owner: &str) -> bool {
    let mut parts = owner.splitn(3, '/');
    let (Some(boot), Some(pid), Some(start)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let our_boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    if boot.is_empty() || boot != our_boot.trim() {
        return false;
    }
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => match parse_stat(&stat) {
            Some((state, started)) => {
                matches!(state, 'Z' | 'X' | 'x') || started.to_string() != start
            }
            None => false,
        },
    }
}

/// The fields of a `/proc/PID/stat` line from field 3 (the state) on. The command name in
/// field 2 may hold spaces and parentheses, so they start after its last ')'.
pub fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().collect())
}

/// Whether the holder of a lock on a database that only this machine opens (an SQLite
/// file) is gone: as [`owner_is_gone`], and also when it ran before this machine's last
/// boot. Without this, a daemon that died with its machine (a power cut) would keep the
/// database for ever. Not for a database other machines share, whose holder may be
/// running on another machine.
pub fn local_owner_is_gone(owner: &str) -> bool {
    let boot = owner.split('/').next().unwrap_or_default();
    let our_boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    owner_is_gone(owner) || (!boot.is_empty() && owner.contains('/') && boot != our_boot.trim())
}

/// The state and start time (fields 3 and 22) of a `/proc/PID/stat` line.
pub fn parse_stat(stat: &str) -> Option<(char, u64)> {
    let fields = stat_fields(stat)?;
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_count_from_the_last_parenthesis() {
        let line = "4242 (needsd (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654 12345 67 ...";
        assert_eq!(parse_stat(line), Some(('S', 987654)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_is_not_gone_and_a_dead_one_is() {
        let me = process_identity();
        assert!(!owner_is_gone(&me));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let boot = me.split('/').next().unwrap();
        assert!(owner_is_gone(&format!("{boot}/{pid}/1")));
        // Another machine's lease is never taken as gone.
        assert!(!owner_is_gone("other-boot/1/1"));
        assert!(!owner_is_gone("nonsense"));
        // On a database only this machine opens, a holder from before the last boot is.
        assert!(local_owner_is_gone("other-boot/1/1"));
        assert!(!local_owner_is_gone(&me));
        assert!(!local_owner_is_gone("nonsense"));
    }
}
