//! A D-Bus session bus of a test's own (`dbus-daemon`), so what runs on it (a desktop portal,
//! or none) is the test's alone; stopped when dropped.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};

pub struct PrivateBus {
    pub address: String,
    daemon: Child,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    /// A bus that starts no service on request (`activation: false`: nothing answers but what
    /// the test starts), or starts the session's services as a desktop's bus does.
    pub fn start(activation: bool) -> PrivateBus {
        let dir = tempfile::tempdir().unwrap();
        let services = if activation { "<standard_session_servicedirs/>" } else { "" };
        let config = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={}</listen>
  <auth>EXTERNAL</auth>
  {services}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>"#,
            dir.path().display()
        );
        let file = dir.path().join("bus.conf");
        std::fs::write(&file, config).unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", file.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon runs");
        let mut address = String::new();
        let stdout = daemon.stdout.take().unwrap();
        std::io::BufReader::new(stdout).read_line(&mut address).unwrap();
        PrivateBus { address: address.trim().to_owned(), daemon, _dir: dir }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _gone = self.daemon.kill();
        let _reaped = self.daemon.wait();
    }
}
