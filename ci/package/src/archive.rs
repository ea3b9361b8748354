//! Writing a package's zip and checking it: MANIFEST.XML, the libraries, the BSL modules.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::manifest;
use crate::matrix::Platform;

/// Writes `zip_path` holding MANIFEST.XML, each platform's library under its zip name, and
/// `extras` (name in the zip, contents).
pub fn write(
    zip_path: &Path,
    libraries: &[(Platform, PathBuf)],
    extras: &[(String, Vec<u8>)],
) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", zip_path.display());
    if let Some(dir) = zip_path.parent() {
        fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    }
    let mut zip = ZipWriter::new(File::create(zip_path).map_err(|e| fail(&e))?);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let platforms: Vec<Platform> = libraries.iter().map(|(p, _)| *p).collect();
    zip.start_file(manifest::FILE_NAME, options)
        .map_err(|e| fail(&e))?;
    zip.write_all(manifest::render(&platforms).as_bytes())
        .map_err(|e| fail(&e))?;
    for (platform, path) in libraries {
        let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        zip.start_file(platform.zip_name, options)
            .map_err(|e| fail(&e))?;
        zip.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    for (name, bytes) in extras {
        zip.start_file(name.as_str(), options)
            .map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    zip.finish().map_err(|e| fail(&e))?;
    Ok(())
}

/// Reads the zip at `zip_path`, checks that every MANIFEST.XML entry is in it, and returns the
/// manifest's library paths.
pub fn verify(zip_path: &Path) -> Result<Vec<String>, String> {
    let mut zip = open(zip_path)?;
    let manifest = String::from_utf8(read_entry(&mut zip, manifest::FILE_NAME)?)
        .map_err(|e| format!("{}: MANIFEST.XML: {e}", zip_path.display()))?;
    let paths = manifest::component_paths(&manifest);
    if paths.is_empty() {
        return Err(format!(
            "{}: MANIFEST.XML lists nothing",
            zip_path.display()
        ));
    }
    for path in &paths {
        read_entry(&mut zip, path)?;
    }
    Ok(paths)
}

/// Extracts the entry `name` of the zip at `zip_path` to `dest`.
pub fn extract(zip_path: &Path, name: &str, dest: &Path) -> Result<(), String> {
    let bytes = read_entry(&mut open(zip_path)?, name)?;
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    fs::write(dest, bytes).map_err(|e| format!("{}: {e}", dest.display()))
}

fn open(zip_path: &Path) -> Result<ZipArchive<File>, String> {
    let file = File::open(zip_path).map_err(|e| format!("{}: {e}", zip_path.display()))?;
    ZipArchive::new(file).map_err(|e| format!("{}: {e}", zip_path.display()))
}

fn read_entry(zip: &mut ZipArchive<File>, name: &str) -> Result<Vec<u8>, String> {
    let mut entry = zip
        .by_name(name)
        .map_err(|e| format!("zip entry {name}: {e}"))?;
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| format!("zip entry {name}: {e}"))?;
    if bytes.is_empty() {
        return Err(format!("zip entry {name} is empty"));
    }
    Ok(bytes)
}
