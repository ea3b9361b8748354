//! What is built: the four platforms 1C loads native add-ins on, and the packages (one per TLS
//! backend) with the cargo features each platform's library is built with.

/// A platform: a Rust target and how MANIFEST.XML names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    /// The Rust target triple.
    pub triple: &'static str,
    /// MANIFEST.XML's `os`: `Windows` or `Linux`.
    pub os: &'static str,
    /// MANIFEST.XML's `arch`: `i386` or `x86_64`.
    pub arch: &'static str,
    /// The library's name inside the zip.
    pub zip_name: &'static str,
}

impl Platform {
    /// Whether this is a Windows target (run under Wine here).
    pub fn is_windows(&self) -> bool {
        self.os == "Windows"
    }

    /// The file cargo writes for the add-in's cdylib.
    pub fn cargo_library(&self) -> &'static str {
        if self.is_windows() {
            "tcplink_addin.dll"
        } else {
            "libtcplink_addin.so"
        }
    }

    /// The file cargo writes for the test host's binary.
    pub fn cargo_host(&self) -> &'static str {
        if self.is_windows() {
            "addin-host.exe"
        } else {
            "addin-host"
        }
    }

    /// The objdump that reads this platform's binaries.
    pub fn objdump(&self) -> &'static str {
        match self.triple {
            "x86_64-pc-windows-gnu" => "x86_64-w64-mingw32-objdump",
            "i686-pc-windows-gnu" => "i686-w64-mingw32-objdump",
            _ => "objdump",
        }
    }
}

/// Every platform, in MANIFEST.XML order.
pub const PLATFORMS: [Platform; 4] = [
    Platform {
        triple: "x86_64-pc-windows-gnu",
        os: "Windows",
        arch: "x86_64",
        zip_name: "TcpLink_Win64.dll",
    },
    Platform {
        triple: "i686-pc-windows-gnu",
        os: "Windows",
        arch: "i386",
        zip_name: "TcpLink_Win32.dll",
    },
    Platform {
        triple: "x86_64-unknown-linux-gnu",
        os: "Linux",
        arch: "x86_64",
        zip_name: "TcpLink_Lin64.so",
    },
    Platform {
        triple: "i686-unknown-linux-gnu",
        os: "Linux",
        arch: "i386",
        zip_name: "TcpLink_Lin32.so",
    },
];

/// A package: `dist/tcplink-<name>.zip`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    /// The package's name, also the zip's suffix.
    pub name: &'static str,
    /// The add-in's features on Windows.
    pub windows_features: &'static str,
    /// The add-in's features on Linux.
    pub linux_features: &'static str,
    /// The backend `TlsInfo` reports on Windows and on Linux.
    pub tls_backends: (&'static str, &'static str),
}

impl Package {
    /// The add-in's cargo features for `platform`.
    pub fn features(&self, platform: &Platform) -> &'static str {
        if platform.is_windows() {
            self.windows_features
        } else {
            self.linux_features
        }
    }

    /// The backend `TlsInfo` must report for `platform`.
    pub fn tls_backend(&self, platform: &Platform) -> &'static str {
        if platform.is_windows() {
            self.tls_backends.0
        } else {
            self.tls_backends.1
        }
    }

    /// The zip's file name.
    pub fn zip_file(&self) -> String {
        format!("tcplink-{}.zip", self.name)
    }
}

/// Every package.
pub const PACKAGES: [Package; 2] = [
    // No OpenSSL anywhere: rustls with ring on every platform.
    Package {
        name: "rustls",
        windows_features: "rustls",
        linux_features: "rustls",
        tls_backends: ("rustls", "rustls"),
    },
    // OpenSSL built from source and linked in on Linux; the system's SChannel on Windows.
    Package {
        name: "openssl",
        windows_features: "native-tls",
        linux_features: "vendored-openssl",
        tls_backends: ("native-tls", "openssl"),
    },
];
