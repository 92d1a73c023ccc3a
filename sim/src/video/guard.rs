//! Child processes that cannot outlive us. A helper (ffmpeg, nginx) is started under a small
//! POSIX `sh` guard that holds a pipe from us, its *lifeline*: when we close it — on purpose,
//! or because we exited or were killed, even with SIGKILL — the guard sends the helper
//! SIGTERM and waits for it. The helper's own stdout and stderr come straight to us, so their
//! end of file means the helper is gone. No `unsafe` (no `pre_exec`, no `prctl`) is needed.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};
use tokio::process::{Child, ChildStdin, Command};

/// The guard. `$@` is the helper and its arguments.
/// - fd 3 keeps the lifeline (our pipe) for the watcher; the helper gets neither it nor stdin;
/// - the guard then lets go of the helper's stdout/stderr, so EOF on them means "helper gone";
/// - the watcher blocks in the shell's own `read` (no extra process) until the lifeline
///   closes, then sends SIGTERM;
/// - when the helper ends by itself, the guard kills the watcher and exits with its status.
const GUARD: &str = r#"exec 3<&0
"$@" </dev/null 3<&- &
child=$!
exec </dev/null >/dev/null 2>&1
( while IFS= read -r _ <&3; do :; done; kill -TERM "$child" ) &
watcher=$!
exec 3<&-
wait "$child"
status=$?
kill "$watcher"
exit "$status"
"#;

/// Our end of a guard's lifeline. Cutting it, or dropping it, ends the helper.
#[derive(Debug)]
pub struct Lifeline(Option<ChildStdin>);

impl Lifeline {
    /// Asks the helper to end (SIGTERM, through the guard). Idempotent.
    pub fn cut(&mut self) {
        self.0 = None;
    }
}

/// Starts `program args…` under the guard, in `dir` when given. The returned child is the
/// guard: its stdout and stderr are the helper's (piped to us), and it exits with the
/// helper's status once the helper is gone.
pub fn spawn_guarded<I, S>(
    program: &Path,
    args: I,
    dir: Option<&Path>,
) -> std::io::Result<(Child, Lifeline)>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(GUARD)
        .arg("mentra-guard")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn()?;
    let lifeline = Lifeline(child.stdin.take());
    Ok((child, lifeline))
}

/// Reads one line of at most `max` bytes into `line` (longer lines are cut, the rest
/// skipped), without the newline. `Ok(false)` at end of file.
pub(crate) async fn read_line_bounded<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<bool> {
    line.clear();
    let mut seen_any = false;
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            return Ok(seen_any);
        }
        seen_any = true;
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        let room = max.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        if done.is_some() {
            return Ok(true);
        }
    }
}

/// Finds `name` on `PATH` (and in the sbin directories, where Debian puts nginx).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Process ids of running processes whose command line contains `needle` (Linux `/proc`;
/// empty elsewhere). Tests and the demo use it to check that no helper outlived its stream.
pub fn processes_with_arg(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let own = std::process::id();
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != own)
        .filter(|pid| {
            let base = PathBuf::from(format!("/proc/{pid}"));
            let running = std::fs::read_to_string(base.join("stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, rest)| rest.trim_start().to_owned())
                })
                .is_some_and(|rest| !rest.starts_with('Z'));
            let cmdline = std::fs::read(base.join("cmdline")).unwrap_or_default();
            running
                && cmdline
                    .split(|b| *b == 0)
                    .any(|arg| String::from_utf8_lossy(arg).contains(needle))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncReadExt;

    /// A helper whose command line is unique to the test: `sleep 3NN.<pid>`.
    fn sleeper(n: u32) -> (Child, Lifeline, String) {
        let tag = format!("3{n:02}.{}", std::process::id());
        let sleep = find_program("sleep").expect("sleep");
        let (child, lifeline) = spawn_guarded(&sleep, [&tag], None).unwrap();
        (child, lifeline, tag)
    }

    async fn gone(tag: &str) -> bool {
        for _ in 0..100 {
            if processes_with_arg(tag).is_empty() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    #[tokio::test]
    async fn terminate_ends_the_helper_and_its_output_closes() {
        let (mut child, mut lifeline, tag) = sleeper(1);
        let mut out = child.stdout.take().unwrap();
        assert!(!gone_now(&tag), "the helper runs");
        lifeline.cut();
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), out.read_to_end(&mut rest))
            .await
            .expect("stdout closes once the helper is gone")
            .unwrap();
        let status = child.wait().await.unwrap();
        assert!(!status.success(), "killed by SIGTERM: {status}");
        assert!(gone(&tag).await);
    }

    #[tokio::test]
    async fn dropping_the_guard_ends_the_helper() {
        let (child, lifeline, tag) = sleeper(2);
        assert!(!gone_now(&tag));
        drop(lifeline);
        drop(child);
        assert!(gone(&tag).await, "no helper outlives its guard handle");
    }

    #[tokio::test]
    async fn a_helper_that_ends_by_itself_ends_the_guard_with_its_status() {
        let sh = find_program("sh").unwrap();
        let (mut child, _lifeline) = spawn_guarded(&sh, ["-c", "echo hi; exit 3"], None).unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .await
            .unwrap();
        assert_eq!(out, "hi\n");
        let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .expect("the guard exits with the helper")
            .unwrap();
        assert_eq!(status.code(), Some(3));
    }

    #[tokio::test]
    async fn long_lines_are_cut_and_the_rest_skipped() {
        let input = format!("{}\nshort\n", "y".repeat(10_000));
        let mut reader = tokio::io::BufReader::with_capacity(64, input.as_bytes());
        let mut line = Vec::new();
        assert!(
            read_line_bounded(&mut reader, &mut line, 100)
                .await
                .unwrap()
        );
        assert_eq!(line.len(), 100);
        assert!(
            read_line_bounded(&mut reader, &mut line, 100)
                .await
                .unwrap()
        );
        assert_eq!(line, b"short");
        assert!(
            !read_line_bounded(&mut reader, &mut line, 100)
                .await
                .unwrap()
        );
    }

    fn gone_now(tag: &str) -> bool {
        processes_with_arg(tag).is_empty()
    }
}
