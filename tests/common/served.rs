//! `mcp-bridge serve` run by a test: on a free port, verbose, its stderr
//! kept to read the log.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A running `mcp-bridge serve`, its stderr kept.
pub struct Served {
    /// Held for `kill_on_drop`; the Linux-only tests signal it.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub child: Child,
    pub url: String,
    pub port: u16,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    pub async fn start(args: &[&str], server: &[String]) -> Served {
        Served::start_on(super::free_port(), args, server).await
    }

    /// The same, on `port`.
    pub async fn start_on(port: u16, args: &[&str], server: &[String]) -> Served {
        let mut cmd = Command::new(super::bin());
        cmd.args(["serve", "--port", &port.to_string(), "-v"])
            .args(args);
        // No server after `--` with --config, which names them.
        if !server.is_empty() {
            cmd.arg("--").args(server);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start mcp-bridge serve");
        let stderr = super::keep_stderr(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "serve did not listen: {}",
                stderr.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Served {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
            port,
            stderr,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The pids of the children started so far, from the log.
    pub fn pids(&self) -> Vec<u32> {
        self.stderr()
            .lines()
            .filter_map(|l| l.split("(pid ").nth(1))
            .filter_map(|p| p.trim_end_matches(')').parse().ok())
            .collect()
    }
}
