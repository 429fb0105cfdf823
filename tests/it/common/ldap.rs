//! A real company directory for the LDAP sign-in's tests: Debian's OpenLDAP server (`slapd`,
//! installed by scripts/test.sh) on a free loopback port, with a throw-away configuration
//! (slapd.conf style) and database in a folder of its own, seeded with `slapadd` before it
//! starts: the organisation dc=example,dc=test, people under ou=people (their passwords
//! hashed with `slappasswd`), groups under ou=groups. Stopped when dropped.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test helpers fail the test loudly")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The directory's base.
pub const BASE: &str = "dc=example,dc=test";
/// Where its people are.
pub const PEOPLE: &str = "ou=people,dc=example,dc=test";
/// Where its groups are.
pub const GROUPS: &str = "ou=groups,dc=example,dc=test";
/// The account the team's server looks people up as.
pub const BIND_DN: &str = "cn=lookup,dc=example,dc=test";

/// A program of the OpenLDAP packages: in `/usr/sbin` (slapd, slapadd, slappasswd), which is
/// not on every user's PATH.
fn program(name: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(name);
    if sbin.is_file() {
        return sbin;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file());
    on_path.unwrap_or_else(|| {
        panic!("{name} is missing: run the tests with scripts/test.sh, which installs slapd and ldap-utils")
    })
}

/// `password` as slapd keeps it (a salted SHA-1 from `slappasswd`).
fn hashed(password: &str) -> String {
    let output = Command::new(program("slappasswd")).args(["-h", "{SSHA}", "-s", password]).output().unwrap();
    assert!(output.status.success(), "slappasswd: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// One person of the directory: their uid, password and groups.
pub struct Person<'a> {
    pub uid: &'a str,
    pub password: &'a str,
    pub groups: &'a [&'a str],
}

/// The directory server; stopped when dropped.
pub struct Directory {
    child: Child,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Directory {
    fn drop(&mut self) {
        let _already_gone = self.child.kill();
        let _reaped = self.child.wait();
    }
}

impl Directory {
    /// The directory with `people`, every group one of them is in, and the lookup account
    /// [`BIND_DN`] with `bind_password`, on a free loopback port.
    pub fn start(people: &[Person], bind_password: &str) -> Directory {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("db")).unwrap();
        let conf = root.join("slapd.conf");
        std::fs::write(&conf, config(root)).unwrap();
        let seed = root.join("seed.ldif");
        std::fs::write(&seed, seed_ldif(people, bind_password)).unwrap();
        let added =
            Command::new(program("slapadd")).arg("-f").arg(&conf).arg("-l").arg(&seed).output().unwrap();
        assert!(added.status.success(), "slapadd: {}", String::from_utf8_lossy(&added.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("ldap://127.0.0.1:{port}");
        let log = std::fs::File::create(root.join("slapd.log")).unwrap();
        // -d keeps slapd in the foreground (its debug level 0: errors alone), so the test owns
        // its process and kills it.
        let child = Command::new(program("slapd"))
            .arg("-d")
            .arg("0")
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("{url}/"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut directory = Directory { child, url, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = directory.child.try_wait().unwrap() {
                panic!("slapd ended ({status}): {}", directory.log());
            }
            assert!(Instant::now() < deadline, "slapd did not listen within 20 s: {}", directory.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        directory
    }

    /// What slapd wrote.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
    }
}

/// slapd's configuration: the schemas people and groups need, one database in `root/db`;
/// anyone may sign in with their password, a signed-in account reads the directory, and no
/// one reads a password.
fn config(root: &Path) -> String {
    format!(
        "include /etc/ldap/schema/core.schema\n\
         include /etc/ldap/schema/cosine.schema\n\
         include /etc/ldap/schema/inetorgperson.schema\n\
         modulepath /usr/lib/ldap\n\
         moduleload back_mdb\n\
         pidfile {root}/slapd.pid\n\
         database mdb\n\
         maxsize 16777216\n\
         suffix \"{BASE}\"\n\
         directory {root}/db\n\
         access to attrs=userPassword by anonymous auth by * none\n\
         access to * by users read by * none\n",
        root = root.display()
    )
}

/// The organisation, its people, their groups and the lookup account, as LDIF.
fn seed_ldif(people: &[Person], bind_password: &str) -> String {
    let mut ldif = format!(
        "dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: {BIND_DN}\nobjectClass: person\nobjectClass: simpleSecurityObject\ncn: lookup\nsn: lookup\nuserPassword: {}\n\n",
        hashed(bind_password)
    );
    for person in people {
        ldif.push_str(&format!(
            "dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\nuserPassword: {}\n\n",
            hashed(person.password),
            uid = person.uid
        ));
    }
    let mut groups: Vec<&str> = people.iter().flat_map(|person| person.groups.iter().copied()).collect();
    groups.sort_unstable();
    groups.dedup();
    for group in groups {
        ldif.push_str(&format!("dn: cn={group},{GROUPS}\nobjectClass: groupOfNames\ncn: {group}\n"));
        for person in people.iter().filter(|person| person.groups.contains(&group)) {
            ldif.push_str(&format!("member: uid={},{PEOPLE}\n", person.uid));
        }
        ldif.push('\n');
    }
    ldif
}
