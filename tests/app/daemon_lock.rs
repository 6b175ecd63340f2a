//! One daemon per database, and a machine that went down does not keep it.

use std::sync::Arc;
use std::time::Duration;

use needsd::model::Cycle;

use crate::harness::{TestApp, new_york};

/// Starts `needsd run` on the harness's App; returns how it ended if it did not start.
async fn start(t: &TestApp) -> Result<(), String> {
    let (ready, started) = tokio::sync::oneshot::channel();
    let (halt, halted) = tokio::sync::oneshot::channel::<()>();
    let daemon = tokio::spawn(needsd::daemon::run(
        Arc::clone(&t.app),
        async move {
            let _ = halted.await;
        },
        Some(ready),
    ));
    match tokio::time::timeout(Duration::from_secs(30), started).await {
        Ok(Ok(_addr)) => {
            let _ = halt.send(());
            daemon
                .await
                .expect("the daemon task")
                .expect("the daemon stops cleanly");
            Ok(())
        }
        Ok(Err(_)) => Err(format!(
            "{:#}",
            daemon
                .await
                .expect("the daemon task")
                .expect_err("a daemon that never became ready failed")
        )),
        Err(_) => panic!("the daemon neither started nor failed within 30 s"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_lock_left_by_a_machine_that_went_down_is_taken_and_a_live_one_is_not() {
    let t = TestApp::new(new_york(Cycle::parse("2031-03").expect("a cycle"), 1, 8)).await;
    // A process of this machine that is still running holds the database: refused.
    let mut other = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .expect("sleep");
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").expect("a boot id");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", other.id())).expect("its stat");
    let (_, started) = needsd::lease::parse_stat(&stat).expect("a stat line");
    let holder = format!("{}/{}/{started}", boot.trim(), other.id());
    let store = &t.app.store;
    store
        .acquire_daemon_lock(&holder, "127.0.0.1:1", t.now(), |_| false)
        .await
        .expect("the store answers")
        .expect("the lock is free");
    let refused = start(&t).await.expect_err("a second daemon is refused");
    assert!(refused.contains("already running"), "{refused}");
    other.kill().expect("kill sleep");
    other.wait().expect("reap sleep");
    store.release_daemon_lock(&holder).await.expect("released");

    // The row as a power cut leaves it: held under the boot before this one.
    store
        .acquire_daemon_lock(
            "0-boot-before-the-last/4242/1",
            "127.0.0.1:1",
            t.now(),
            |_| false,
        )
        .await
        .expect("the store answers")
        .expect("the lock is free");
    start(&t)
        .await
        .expect("the daemon takes a database held from before the last boot");
}
