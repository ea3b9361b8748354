//! Certificates and PKCS#12 files made with the `openssl` command line, the way users make them.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::CertFiles;

/// Runs the `openssl` command line in `dir`, which must succeed.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate as tutorials make it: `openssl req -x509 -newkey <key> ...`.
pub fn req_x509(dir: &Path, name: &str, key: &[&str], subject: &str, extra: &[&str]) -> CertFiles {
    let files = CertFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj", subject];
    args.extend(["-newkey"]);
    args.extend(key);
    args.extend(["-keyout", files.key.to_str().unwrap()]);
    args.extend(["-out", files.cert.to_str().unwrap()]);
    args.extend(extra);
    openssl(dir, &args);
    files
}

/// A key and certificate signing request for `subject`.
pub fn csr(dir: &Path, name: &str, subject: &str) -> (PathBuf, PathBuf) {
    let (key, req) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.csr")),
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            subject,
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            req.to_str().unwrap(),
        ],
    );
    (key, req)
}

/// `openssl x509 -req`: turns the request `req` into the certificate `cert`, valid for 30 days,
/// signed as `signing` says (`-signkey KEY`, or `-CA`/`-CAkey` with an extension file).
pub fn sign_request(dir: &Path, req: &Path, signing: &[&str], cert: &Path) {
    let mut args = vec!["x509", "-req", "-days", "30", "-in", req.to_str().unwrap()];
    args.extend_from_slice(signing);
    args.extend(["-out", cert.to_str().unwrap()]);
    openssl(dir, &args);
}

/// A certificate for `subject` signed by `issuer` with the extensions in `ext` (a config text).
pub fn signed(dir: &Path, name: &str, subject: &str, issuer: &CertFiles, ext: &str) -> CertFiles {
    let (key, req) = csr(dir, name, subject);
    let ext_file = dir.join(format!("{name}.ext"));
    std::fs::write(&ext_file, ext).unwrap();
    let cert = dir.join(format!("{name}.pem"));
    let signing = [
        "-CA",
        issuer.cert.to_str().unwrap(),
        "-CAkey",
        issuer.key.to_str().unwrap(),
        "-CAcreateserial",
        "-extfile",
        ext_file.to_str().unwrap(),
    ];
    sign_request(dir, &req, &signing, &cert);
    CertFiles { cert, key }
}

/// `openssl pkcs12 -export` of `client` (and the certificates in `chain`, if given) into
/// `dir/<name>.pfx` with `password` and the extra arguments `how` (`-legacy`, `-certpbe …`).
pub fn pkcs12_export(
    dir: &Path,
    name: &str,
    client: &CertFiles,
    chain: Option<&Path>,
    password: &str,
    how: &[&str],
) -> PathBuf {
    let out = dir.join(format!("{name}.pfx"));
    let pass = format!("pass:{password}");
    let mut args = vec!["pkcs12", "-export", "-in", client.cert.to_str().unwrap()];
    args.extend(["-inkey", client.key.to_str().unwrap()]);
    if let Some(chain) = chain {
        args.extend(["-certfile", chain.to_str().unwrap()]);
    }
    args.extend(["-passout", &pass, "-out", out.to_str().unwrap()]);
    args.extend(how);
    openssl(dir, &args);
    out
}

/// An X.509 v1 certificate: `openssl x509 -req` self-signing a request, without extensions.
pub fn v1_self_signed(dir: &Path) -> CertFiles {
    let (key, req) = csr(dir, "v1", "/CN=localhost");
    let cert = dir.join("v1.pem");
    sign_request(dir, &req, &["-signkey", key.to_str().unwrap()], &cert);
    CertFiles { cert, key }
}

/// What `openssl` computes for the pins of a certificate's public key: the SHA-256 of its DER
/// SubjectPublicKeyInfo, in base64 (curl's documented pipeline `openssl x509 -pubkey | openssl
/// pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`) and as `openssl dgst -c`
/// prints it, lower-case hex pairs joined by colons.
pub struct OpensslPins {
    /// The base64 digest, without the `sha256//` prefix.
    pub base64: String,
    /// `ab:cd:…`.
    pub hex_colons: String,
}

/// The pins of `cert`'s public key, computed by the `openssl` command line (see [`OpensslPins`]).
pub fn openssl_pins(cert: &Path) -> OpensslPins {
    let pipeline = |digest: &str| {
        let script = format!(
            "openssl x509 -pubkey -noout -in \"$1\" | openssl pkey -pubin -outform der | {digest}"
        );
        let out = Command::new("sh")
            .args(["-c", &script, "sh"])
            .arg(cert)
            .output()
            .expect("sh runs");
        assert!(out.status.success(), "{script}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let hex = pipeline("openssl dgst -sha256 -c");
    OpensslPins {
        base64: pipeline("openssl dgst -sha256 -binary | base64"),
        hex_colons: hex.rsplit(' ').next().unwrap().to_string(),
    }
}

/// The SHA-256 fingerprint of a PEM certificate as `openssl x509` prints it (`AB:CD:…`).
pub fn openssl_fingerprint(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(cert)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().split_once('=').unwrap().1.to_string()
}
