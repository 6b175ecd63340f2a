//! The workbook reader under fuzz: a few thousand mutated workbooks made by
//! `scripts/make-hostile.py --fuzz`, read in a test process limited to 512 MB of address
//! space (a binary of its own, since the limit holds for the whole process).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

use std::path::Path;
use std::process::Command;

/// A few thousand mutated workbooks (random declared counts and dimensions, truncations,
/// flipped bytes, zip entries that lie about their sizes) through the reader, in a
/// process limited to 512 MB of address space: every one is read or refused with a
/// reason; none ends the process.
#[test]
fn fuzzed_workbooks_never_end_the_process() {
    use needsd::workbook::read::Sheets;
    rlimit::Resource::AS
        .set(512 << 20, rlimit::INFINITY)
        .expect("an address-space limit for this test process");
    let dir = tempfile::tempdir().unwrap();
    const FILES: usize = 2_000;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-hostile.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .args(["--fuzz", &FILES.to_string(), "20261202"])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "make-hostile.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader = needsd::reader::Reader::with_exe(env!("CARGO_BIN_EXE_needsd").into());
    let limits = needsd::config::Limits::default();
    let (mut read, mut refused, mut worker_lost) = (0, 0, 0);
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("fuzz-")
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), FILES);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match reader.read(&bytes, &name, &limits, Sheets::All) {
            Ok(_) => read += 1,
            Err(needsd::workbook::read::ReadError::ReaderFailed(why)) => {
                assert!(!why.contains("cannot start"), "{name}: {why}");
                worker_lost += 1;
            }
            Err(_) => refused += 1,
        }
    }
    println!(
        "{FILES} fuzzed files: {read} read, {refused} refused, {worker_lost} gave up the reader"
    );
    assert_eq!(read + refused + worker_lost, FILES);
    assert!(refused > 0, "the fuzzed files exercised the refusals");
}
