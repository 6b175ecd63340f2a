//! Faults of the machine itself, with real file systems and a real second program: the
//! file outbox's disk full, the database's file system read-only, the database locked by
//! another program. Each ends in a clear error, nothing half-written, and the work done
//! once the fault is gone. The file systems are tmpfs mounts of a few hundred KiB
//! (`scripts/test.sh` runs as root, as the mail lab needs).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::review::MATRIX;
use crate::common::*;

/// A tmpfs of `kib` KiB mounted at `dir` for the life of the value.
struct Mount(PathBuf);

impl Mount {
    fn new(dir: &Path, kib: u32) -> Mount {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount(8)");
        assert!(
            out.status.success(),
            "cannot mount a small tmpfs at {} ({}): these tests fill and freeze file systems \
             of their own and need root, as scripts/test.sh runs",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Mount(dir.to_path_buf())
    }

    fn remount(&self, how: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{how}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(ok.success(), "remount {how}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// The Matrix as stored: each need's ID and description.
fn needs(p: &Project) -> Vec<(String, String)> {
    with_store(p, async |s| s.needs().await)
        .into_iter()
        .map(|n| (n.id.to_string(), n.description))
        .collect()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `n` receiving contacts of KEN.
fn contacts(n: usize) -> String {
    let mut csv = String::from("party,name,email,receives_matrix\n");
    for i in 0..n {
        csv.push_str(&format!("KEN,R {i},r{i}@resp.test,yes\n"));
    }
    csv
}

fn files_in(dir: &Path) -> (Vec<String>, Vec<String>) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "filler")
        .collect();
    names.into_iter().partition(|n| n.ends_with(".eml"))
}

#[test]
fn a_full_disk_under_the_file_outbox_marks_nothing_sent_and_sends_all_once_space_returns() {
    const N: usize = 30;
    let p = Project::new(&config_with(
        "needs-enospc",
        "[outbox]\ndir = \"data/outbox\"",
        "[maildir]\ndir = \"data/inbox\"",
    ));
    p.load(&contacts(N), MATRIX);
    let outbox = p.path("data/outbox");
    // By its absolute path: the library calls below run in this test's folder.
    let config = std::fs::read_to_string(p.path("needsd.toml"))
        .unwrap()
        .replace(
            "\"data/outbox\"",
            &format!("{:?}", outbox.display().to_string()),
        )
        .replace(
            "\"data/inbox\"",
            &format!("{:?}", p.path("data/inbox").display().to_string()),
        );
    std::fs::write(p.path("needsd.toml"), config).unwrap();
    let _disk = Mount::new(&outbox, 2048);
    // Room for a few circulations, not for all.
    let filler = outbox.join("filler");
    std::fs::write(&filler, vec![0u8; 1900 * 1024]).unwrap();

    let cycle = next_cycle();
    let first = p.json(&["dispatch", "--cycle", &cycle, "--json"]);
    let send = &first["send"];
    assert!(send["deferred"].as_i64().unwrap() > 0, "{first}");
    assert!(
        send["last_deferral"].as_str().is_some_and(|e| {
            e.contains("No space left on device") && e.contains(&outbox.display().to_string())
        }),
        "the reason names the folder and the fault: {first}"
    );
    let (eml, other) = files_in(&outbox);
    assert!(
        other.is_empty(),
        "half-written files left behind: {other:?}"
    );
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(
        status["sent"].as_u64().unwrap() as usize,
        eml.len(),
        "recorded sent exactly what was written: {status}"
    );
    assert!(eml.len() < N);

    // Space returns; the retries, once due, write the rest, each once.
    std::fs::remove_file(&filler).unwrap();
    let later = chrono::DateTime::parse_from_rfc3339("2100-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    with_app(&p, later, async |app| {
        needsd::workflow::send_now(app, std::time::Duration::ZERO).await?;
        Ok(())
    });
    let (eml, other) = files_in(&outbox);
    assert!(other.is_empty(), "{other:?}");
    assert_eq!(eml.len(), N);
    let status = p.json(&["cycle", "status", &cycle, "--json"]);
    assert_eq!(status["sent"], N as i64, "{status}");
}

#[test]
fn a_read_only_database_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let disk = Mount::new(&db, 4096);
    let config = config_with(
        "needs-ro",
        "[outbox]\ndir = \"data/outbox\"",
        "[maildir]\ndir = \"data/inbox\"",
    )
    .replace(
        "sqlite://data/needsd.db",
        &format!("sqlite://{}/needsd.db", db.display()),
    );
    let p = Project::new(&config);
    p.load(&contacts(2), MATRIX);
    let before = needs(&p);

    disk.remount("ro");
    p.write(
        "more.csv",
        "Need ID,State,Area,Need,Priority,Status\n,KEN,FIN,Another need,High,Open\n",
    );
    let out = p.run(&["matrix", "import", "more.csv"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert!(
        err.contains("database") && !err.contains("panicked"),
        "says it is the database: {err}"
    );

    disk.remount("rw");
    assert_eq!(needs(&p), before, "nothing changed");
}

#[test]
fn a_database_locked_by_another_program_is_a_clear_error_and_changes_nothing() {
    let p = Project::new(&config_with(
        "needs-locked",
        "[outbox]\ndir = \"data/outbox\"",
        "[maildir]\ndir = \"data/inbox\"",
    ));
    p.load(&contacts(2), MATRIX);
    let before = needs(&p);
    let db = p.path("data/needsd.db");
    // Another program takes the write lock and keeps it for a minute.
    let mut holder = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys, time\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(60)\n",
        ])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");

    p.write(
        "more.csv",
        "Need ID,State,Area,Need,Priority,Status\n,KEN,FIN,Another need,High,Open\n",
    );
    let out = p.run(&["matrix", "import", "more.csv"]);
    let _ = holder.kill();
    let _ = holder.wait();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert!(err.contains("locked"), "says the database is locked: {err}");
    assert_eq!(needs(&p), before, "nothing changed");
}
