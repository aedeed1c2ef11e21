//! Real infrastructure for the deployment tests, from Debian's packages
//! (installed by `scripts/test.sh`): a certificate authority made with
//! `openssl` for the test, HAProxy and nginx terminating TLS in front of
//! real MCP servers. Everything listens on loopback and is killed when
//! dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A CA made for one test, and a server certificate it signed for
/// `localhost` and 127.0.0.1.
pub struct Ca {
    /// The CA certificate, for `--ca-cert`.
    pub ca: PathBuf,
    /// The server's certificate.
    pub cert: PathBuf,
    /// The server's key.
    pub key: PathBuf,
    /// Certificate and key in one file (HAProxy's `crt`).
    pub combined: PathBuf,
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Make a CA and a server certificate with openssl in `dir`.
pub fn make_ca(dir: &Path) -> Ca {
    let p = |n: &str| dir.join(n);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .args(["req", "-x509"])
        .args(ec)
        .args(["-days", "2", "-subj", "/CN=mcp-bridge test CA"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(p("ca.key"))
        .arg("-out")
        .arg(p("ca.pem")));
    run(Command::new("openssl")
        .arg("req")
        .args(ec)
        .args(["-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(p("server.key"))
        .arg("-out")
        .arg(p("server.csr")));
    std::fs::write(
        p("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(p("server.csr"))
        .arg("-CA")
        .arg(p("ca.pem"))
        .arg("-CAkey")
        .arg(p("ca.key"))
        .arg("-extfile")
        .arg(p("server.ext"))
        .arg("-out")
        .arg(p("server.pem")));
    let mut both = std::fs::read(p("server.pem")).unwrap();
    both.extend(std::fs::read(p("server.key")).unwrap());
    std::fs::write(p("server-combined.pem"), both).unwrap();
    Ca {
        ca: p("ca.pem"),
        cert: p("server.pem"),
        key: p("server.key"),
        combined: p("server-combined.pem"),
    }
}

/// A daemon from Debian in the foreground, its output in a file; killed
/// when dropped.
pub struct Daemon {
    child: Child,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    /// What it wrote so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// Start `cmd` with its output in `log` and wait until `port` listens.
pub fn daemon(mut cmd: Command, log: PathBuf, port: u16, what: &str) -> Daemon {
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e} (scripts/test.sh installs it)"));
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited ({status}): {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Daemon { child, log }
}

/// HAProxy terminating TLS on `port` (with the certificate of `ca`), in
/// front of the `replicas` (ports) with cookie stickiness as the HAProxy
/// manual writes it (`cookie SRV insert indirect nocache`), health checks,
/// and redispatch when the replica a cookie names is down. Each request
/// is logged with the replica that served it and the SRV cookie it carried.
pub fn haproxy(dir: &Path, port: u16, ca: &Ca, replicas: &[u16]) -> Daemon {
    let servers: String = replicas
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "  server s{n} 127.0.0.1:{p} cookie s{n} check inter 300 fall 1 rise 1\n",
                n = i + 1
            )
        })
        .collect();
    let cfg = format!(
        "global
  log stdout format raw local0
defaults
  mode http
  log global
  option httplog
  log-format \"%HM %HU %ST %b/%s cookie=%[capture.req.hdr(0)]\"
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  option redispatch
  retries 2
frontend mcp
  bind 127.0.0.1:{port} ssl crt {combined}
  http-request capture req.cook(SRV) len 16
  default_backend replicas
backend replicas
  balance roundrobin
  cookie SRV insert indirect nocache
{servers}",
        combined = ca.combined.display()
    );
    let conf = dir.join("haproxy.cfg");
    std::fs::write(&conf, cfg).unwrap();
    let mut cmd = Command::new("haproxy");
    cmd.arg("-db").arg("-f").arg(&conf);
    daemon(cmd, dir.join("haproxy.log"), port, "haproxy")
}

/// nginx terminating TLS on `port` (HTTP/2 offered by ALPN, as most TLS
/// fronts do) in front of `backend`, with a rate limit
/// (`limit_req`, `rate` a second, no burst) answered 429 with
/// `Retry-After: 1`, and streaming (SSE) passed through unbuffered.
pub fn nginx(dir: &Path, port: u16, ca: &Ca, backend: u16, rate: &str) -> Daemon {
    let http = format!(
        "  limit_req_zone $binary_remote_addr zone=mcp:1m rate={rate};
  server {{
    listen 127.0.0.1:{port} ssl http2;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      limit_req zone=mcp nodelay;
      limit_req_status 429;
      error_page 429 = @limited;
      proxy_pass http://127.0.0.1:{backend};
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_buffering off;
      proxy_read_timeout 60s;
    }}
    location @limited {{
      default_type application/json;
      add_header Retry-After 1 always;
      return 429 '{{\"error\": \"rate limited\"}}';
    }}
  }}
",
        cert = ca.cert.display(),
        key = ca.key.display(),
    );
    nginx_with(dir, port, &http)
}

/// nginx in the foreground with `http` inside its `http` block, its logs
/// and temporary files in `dir`, one process; waits until `port` listens.
pub fn nginx_with(dir: &Path, port: u16, http: &str) -> Daemon {
    let d = dir.display();
    // As root, workers would run as nobody, who cannot write here.
    let user = if is_root() { "user root;" } else { "" };
    let cfg = format!(
        "{user}
# One process, so that killing it leaves no worker behind.
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {d}/nginx-access.log;
  client_body_temp_path {d}/nginx-body;
  proxy_temp_path {d}/nginx-proxy;
  fastcgi_temp_path {d}/nginx-fastcgi;
  uwsgi_temp_path {d}/nginx-uwsgi;
  scgi_temp_path {d}/nginx-scgi;
{http}}}
"
    );
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, cfg).unwrap();
    let mut cmd = Command::new("nginx");
    cmd.arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        .args(["-g", "daemon off;"]);
    daemon(cmd, dir.join("nginx.log"), port, "nginx")
}

/// nginx's access log: one line a request.
pub fn nginx_access(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("nginx-access.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A network namespace (as root, `ip netns`) with loopback up, named after
/// `tag` and this process; removed when dropped, with its `/etc/netns` files.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Netns {
        let name = format!("mcpb-{tag}{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        ip(&["netns", "add", &name]);
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS...`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all);
    }

    /// What runs a command inside it: `ip netns exec NAME`.
    pub fn exec(&self) -> [&str; 4] {
        ["ip", "netns", "exec", self.name.as_str()]
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
        let _ = std::fs::remove_dir_all(format!("/etc/netns/{}", self.name));
    }
}

/// `ip ARGS...`, which must succeed.
fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {} (this test creates a network namespace and needs root and iproute2)",
        String::from_utf8_lossy(&out.stderr)
    );
}
