//! Reads untrusted files where they cannot take needsd down: in worker processes (needsd
//! itself, run as `needsd __read-worker`) under an address-space limit and a CPU-time
//! limit per file. A workbook can make calamine reserve memory by counts it declares, and
//! an allocation failure aborts a process (`catch_unwind` cannot stop it); here it ends
//! only the worker, the file gets one sentence, and the next file gets a new worker.
//!
//! Workers live as long as the process that started them and read one file after another,
//! so a reply costs a round trip through a pipe, not a process start. `needsd`'s `main`
//! turns workers on ([`use_workers`]); a process that does not (a test harness calling
//! the library) reads in its own process, with the same bounds checks but without the
//! isolation. Workers get none of the environment, where the secrets are.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use chrono::Datelike;

use crate::settings::Limits;
use crate::workbook::read::{self, Cell, Contents, Grid, ReadError, Sheets};

/// The hidden subcommand a worker runs.
pub const WORKER_COMMAND: &str = "__read-worker";
/// Idle workers kept for the next file; more are started when more files are read at
/// once, and stop when they are not kept.
const KEEP_IDLE: usize = 4;
/// The most a worker's answer may be: a sheet within the limits never comes near it.
const MAX_ANSWER: u64 = 1 << 32;

/// How this process reads untrusted files.
pub struct Reader {
    exe: Option<PathBuf>,
    idle: Mutex<Vec<Worker>>,
}

struct Worker {
    child: Child,
    /// `None` once closed, which tells the worker to stop.
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
}

impl Drop for Worker {
    /// Closes the worker's input and waits for it, so that no stopped worker lingers.
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.wait();
    }
}

/// The request's header, before the file's bytes.
#[derive(serde::Serialize, serde::Deserialize)]
struct Request {
    name: String,
    limits: Limits,
    which: Sheets,
}

static READER: OnceLock<Reader> = OnceLock::new();

/// Makes this process read untrusted files in workers that run its own binary: `main`
/// calls it before anything reads a file. The workers are started from `/proc/self/exe`,
/// the image this process runs, so a binary replaced on disk by an upgrade still starts
/// workers that speak its own pipe format.
pub fn use_workers() {
    let _ = READER.set(Reader::with_exe(PathBuf::from("/proc/self/exe")));
}

/// The reader of this process: workers after [`use_workers`]; otherwise (a test calling
/// the library) the same reading in this process.
pub fn shared() -> &'static Reader {
    READER.get_or_init(|| Reader {
        exe: None,
        idle: Mutex::new(Vec::new()),
    })
}

impl Reader {
    /// A reader whose workers are the needsd binary at `exe` (for tests, whose own
    /// binary is not needsd).
    pub fn with_exe(exe: PathBuf) -> Self {
        Self {
            exe: Some(exe),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Stops the idle workers and waits for them (at the end of a command, so that none
    /// outlives it and what they used counts as the command's).
    pub fn close(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        drop(idle);
    }

    /// Reads `which` sheets of a file (and its stamp properties). Blocking.
    pub fn read(
        &self,
        bytes: &[u8],
        name: &str,
        limits: &Limits,
        which: Sheets,
    ) -> Result<Contents, ReadError> {
        let Some(exe) = &self.exe else {
            return read::read_contents(bytes, name, limits, which);
        };
        if bytes.len() as u64 > limits.attachment_bytes {
            return Err(ReadError::TooLarge {
                size: bytes.len() as u64,
                limit: limits.attachment_bytes,
            });
        }
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut worker = match idle {
            Some(w) => w,
            None => start(exe, limits)
                .map_err(|e| ReadError::ReaderFailed(format!("cannot start a reader: {e}")))?,
        };
        let request = Request {
            name: name.to_string(),
            limits: *limits,
            which,
        };
        match exchange(&mut worker, &request, bytes) {
            Ok(answer) => {
                let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                if idle.len() < KEEP_IDLE {
                    idle.push(worker);
                }
                answer
            }
            Err(e) => Err(ReadError::ReaderFailed(why_it_died(worker, limits, &e))),
        }
    }
}

fn start(exe: &PathBuf, limits: &Limits) -> std::io::Result<Worker> {
    let mut child = Command::new(exe)
        .arg(WORKER_COMMAND)
        .arg(limits.reader_memory_bytes.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Nothing of this process's environment: the secrets live there, under whatever
        // names the config gives them, and a worker reads hostile files.
        .env_clear()
        .spawn()?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(std::io::Error::other("the reader's pipes were not set up"));
    };
    Ok(Worker {
        child,
        stdin: Some(stdin),
        stdout,
    })
}

fn exchange(
    w: &mut Worker,
    request: &Request,
    bytes: &[u8],
) -> std::io::Result<Result<Contents, ReadError>> {
    let header = serde_json::to_vec(request).map_err(std::io::Error::other)?;
    let stdin = w
        .stdin
        .as_mut()
        .ok_or_else(|| std::io::Error::other("the reader's input is closed"))?;
    stdin.write_all(&(header.len() as u64).to_le_bytes())?;
    stdin.write_all(&header)?;
    stdin.write_all(&(bytes.len() as u64).to_le_bytes())?;
    stdin.write_all(bytes)?;
    stdin.flush()?;
    let answer = read_frame(&mut w.stdout, MAX_ANSWER)?;
    decode_answer(&answer).ok_or_else(|| std::io::Error::other("the reader's answer is damaged"))
}

/// Ends a worker that failed and says why, in words for the file's sender.
fn why_it_died(mut w: Worker, limits: &Limits, e: &std::io::Error) -> String {
    use std::os::unix::process::ExitStatusExt;
    let _ = w.child.kill();
    let status = w.child.wait().ok();
    drop(w);
    match status.and_then(|s| s.signal()) {
        // SIGXCPU: over the CPU-time limit.
        Some(24) => format!(
            "reading it took more than {} s of CPU time (limits.reader_cpu_seconds)",
            limits.reader_cpu_seconds
        ),
        // SIGABRT (an allocation that failed), SIGSEGV (a stack that could not grow) or
        // SIGKILL (the system's out-of-memory killer, or ours above).
        Some(6 | 9 | 11) => format!(
            "reading it needed more than {} MiB of memory (limits.reader_memory_bytes)",
            limits.reader_memory_bytes / (1024 * 1024)
        ),
        Some(n) => format!("the reader stopped with signal {n}"),
        None => format!("the reader stopped: {e}"),
    }
}

fn read_frame(r: &mut impl Read, max: u64) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 8];
    r.read_exact(&mut len)?;
    let len = u64::from_le_bytes(len);
    if len > max {
        return Err(std::io::Error::other(format!(
            "a frame of {len} bytes, over {max}"
        )));
    }
    let mut buf = Vec::new();
    r.take(len).read_to_end(&mut buf)?;
    if buf.len() as u64 != len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(buf)
}

/// The worker: limits its own address space to `memory` bytes, then reads requests from
/// standard input and answers on standard output until standard input closes. Each file
/// may use `limits.reader_cpu_seconds` of CPU time beyond what the worker used before it.
pub fn worker_main(memory: u64) -> std::io::Result<()> {
    use rlimit::Resource;
    // Never above a limit the service manager already set (a process cannot raise it).
    let (_, hard) = Resource::AS.get()?;
    let memory = memory.min(hard);
    Resource::AS.set(memory, memory)?;
    // A worker that a file brought down must not leave a core file behind.
    let _ = Resource::CORE.set(0, 0);
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    loop {
        let header = match read_frame(&mut input, 1 << 20) {
            Ok(h) => h,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let request: Request = serde_json::from_slice(&header).map_err(std::io::Error::other)?;
        let bytes = read_frame(&mut input, request.limits.attachment_bytes)?;
        let (_, hard) = Resource::CPU.get()?;
        let soft = cpu_seconds_used()
            .saturating_add(request.limits.reader_cpu_seconds)
            .min(hard);
        Resource::CPU.set(soft, hard)?;
        let answer = read::read_contents(&bytes, &request.name, &request.limits, request.which);
        let answer = encode_answer(&answer)?;
        output.write_all(&(answer.len() as u64).to_le_bytes())?;
        output.write_all(&answer)?;
        output.flush()?;
    }
}

/// A worker's answer: a byte 0 and the contents in a compact binary form (a reply of a
/// thousand rows would take milliseconds to write and read as JSON), or a byte 1 and the
/// error as JSON.
fn encode_answer(answer: &Result<Contents, ReadError>) -> std::io::Result<Vec<u8>> {
    let contents = match answer {
        Ok(c) => c,
        Err(e) => {
            let mut out = vec![1];
            out.extend(serde_json::to_vec(e).map_err(std::io::Error::other)?);
            return Ok(out);
        }
    };
    fn text(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u32).to_le_bytes());
        out.extend(s.as_bytes());
    }
    let mut out = vec![0];
    out.extend((contents.grids.len() as u32).to_le_bytes());
    for g in &contents.grids {
        text(&mut out, &g.name);
        out.extend((g.rows.len() as u32).to_le_bytes());
        for (row, cells) in &g.rows {
            out.extend((*row as u64).to_le_bytes());
            out.extend((cells.len() as u32).to_le_bytes());
            for c in cells {
                match c {
                    Cell::Empty => out.push(0),
                    Cell::Text(t) => {
                        out.push(1);
                        text(&mut out, t);
                    }
                    Cell::Number(n) => {
                        out.push(2);
                        out.extend(n.to_le_bytes());
                    }
                    Cell::Date(d) => {
                        out.push(3);
                        out.extend(d.num_days_from_ce().to_le_bytes());
                    }
                    Cell::Bool(b) => out.extend([4, u8::from(*b)]),
                }
            }
        }
    }
    out.extend((contents.properties.len() as u32).to_le_bytes());
    for (k, v) in &contents.properties {
        text(&mut out, k);
        text(&mut out, v);
    }
    Ok(out)
}

/// Reads what [`encode_answer`] wrote; `None` for anything else.
fn decode_answer(bytes: &[u8]) -> Option<Result<Contents, ReadError>> {
    struct At<'a>(&'a [u8]);
    impl At<'_> {
        fn take(&mut self, n: usize) -> Option<&[u8]> {
            if self.0.len() < n {
                return None;
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Some(head)
        }
        fn u8(&mut self) -> Option<u8> {
            self.take(1).map(|b| b[0])
        }
        fn u32(&mut self) -> Option<usize> {
            Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
        }
        fn u64(&mut self) -> Option<u64> {
            Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
        }
        fn text(&mut self) -> Option<String> {
            let n = self.u32()?;
            String::from_utf8(self.take(n)?.to_vec()).ok()
        }
        /// A count of items, each at least one byte: never more than the bytes left.
        fn count(&mut self) -> Option<usize> {
            self.u32().filter(|&n| n <= self.0.len())
        }
    }
    let mut at = At(bytes);
    match at.u8()? {
        0 => {}
        1 => return serde_json::from_slice(at.0).ok().map(Err),
        _ => return None,
    }
    let mut contents = Contents::default();
    for _ in 0..at.count()? {
        let name = at.text()?;
        let mut rows = Vec::new();
        for _ in 0..at.count()? {
            let row = usize::try_from(at.u64()?).ok()?;
            let mut cells = Vec::new();
            for _ in 0..at.count()? {
                cells.push(match at.u8()? {
                    0 => Cell::Empty,
                    1 => Cell::Text(at.text()?),
                    2 => Cell::Number(f64::from_le_bytes(at.take(8)?.try_into().ok()?)),
                    3 => Cell::Date(chrono::NaiveDate::from_num_days_from_ce_opt(
                        i32::from_le_bytes(at.take(4)?.try_into().ok()?),
                    )?),
                    4 => Cell::Bool(at.u8()? != 0),
                    _ => return None,
                });
            }
            rows.push((row, cells));
        }
        contents.grids.push(Grid { name, rows });
    }
    for _ in 0..at.count()? {
        contents.properties.push((at.text()?, at.text()?));
    }
    at.0.is_empty().then_some(Ok(contents))
}

/// The CPU time this process has used, in whole seconds rounded up, from
/// `/proc/self/stat`.
fn cpu_seconds_used() -> u64 {
    cpu_seconds_in(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// User plus system time in a `/proc/PID/stat` line, in whole seconds rounded up (clock
/// ticks: 100 a second on Linux); 0 when the line cannot be read.
fn cpu_seconds_in(stat: &str) -> u64 {
    // From field 3 on: utime is field 14 and stime 15 (1-based, man 5 proc).
    let fields = crate::lease::stat_fields(stat).unwrap_or_default();
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<u64>().ok());
    (ticks(14).unwrap_or(0) + ticks(15).unwrap_or(0)).div_ceil(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_whole_and_bounded() {
        let mut data = 5u64.to_le_bytes().to_vec();
        data.extend_from_slice(b"hello");
        assert_eq!(read_frame(&mut data.as_slice(), 10).unwrap(), b"hello");
        assert!(
            read_frame(&mut data.as_slice(), 4).is_err(),
            "over the bound"
        );
        let short = [&5u64.to_le_bytes()[..], b"hel"].concat();
        assert!(read_frame(&mut short.as_slice(), 10).is_err(), "cut short");
    }

    #[test]
    fn an_answer_reads_back_as_it_was_written() {
        let contents = Contents {
            grids: vec![Grid {
                name: "Matrix".into(),
                rows: vec![
                    (1, vec![Cell::Text("Need ID".into()), Cell::Empty]),
                    (
                        7,
                        vec![
                            Cell::Number(2.5),
                            Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()),
                            Cell::Bool(true),
                            Cell::Text("Coût estimé : 12 000 €".into()),
                        ],
                    ),
                ],
            }],
            properties: vec![("cycle".into(), "2026-12".into())],
        };
        let bytes = encode_answer(&Ok(contents)).unwrap();
        let back = decode_answer(&bytes).unwrap().unwrap();
        assert_eq!(
            back.grids[0].rows[1].1[3],
            Cell::Text("Coût estimé : 12 000 €".into())
        );
        assert_eq!(back.grids[0].rows[1].0, 7);
        assert_eq!(
            back.properties,
            [("cycle".to_string(), "2026-12".to_string())]
        );
        let error = encode_answer(&Err(ReadError::TooMuchText { limit: 9 })).unwrap();
        assert_eq!(
            decode_answer(&error).unwrap().err(),
            Some(ReadError::TooMuchText { limit: 9 })
        );
        // Damaged answers are refused, never trusted: every cut and a huge count.
        for cut in 0..bytes.len() {
            assert!(decode_answer(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        let mut huge = bytes.clone();
        huge[1..5].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_answer(&huge).is_none());
    }

    #[test]
    fn cpu_time_is_read_past_a_command_name_with_spaces() {
        // utime 250 and stime 101 ticks: 3.51 s, rounded up.
        let stat = "4242 (needsd (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 101 0 0 20 0 1";
        assert_eq!(cpu_seconds_in(stat), 4);
        assert_eq!(cpu_seconds_in("garbage"), 0);
        assert_eq!(cpu_seconds_in(""), 0);
        // And this process's own line parses (it has used less than an hour).
        assert!(cpu_seconds_used() < 3600);
    }
}
