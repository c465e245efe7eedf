//! Loading a config root: which files count, and reading them into raw types.
//!
//! `load_root` walks the root (SPEC §1), picks the format of each file by its
//! extension, parses it into a [`node::Node`] tree and decodes the raw types
//! of [`raw`]. It reports every problem it meets as a diagnostic and goes on
//! with the next file; it never resolves references between files, which is
//! the compiler's job.

pub mod de;
pub mod git;
pub mod node;
pub mod raw;
pub mod schema;
mod toml;
mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location, Severity, SourceFile};
use de::{DeError, DeErrorKind, LeftOut};
use node::{Node, Span};
use raw::{RawProcess, RawSettings};

/// A file that does not parse: the message and where, when known.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError {
    pub message: String,
    pub span: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Toml,
}

impl Format {
    /// The format of a process file, by extension.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "yaml" | "yml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// The tree of a file with the errors found on the way (a YAML key
    /// given twice), or the errors that leave it without one.
    pub fn parse(self, text: &str) -> Result<(Node, Vec<FormatError>), Vec<FormatError>> {
        match self {
            Format::Yaml => yaml::parse(text).map_err(|e| vec![e]),
            Format::Toml => toml::parse(text).map(|node| (node, Vec::new())),
        }
    }
}

/// A file of the root and the SHA-256 of its content, as read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileDigest {
    pub path: String,
    pub sha256: String,
}

/// A config root as read from disk, before compiling.
#[derive(Debug, Default)]
pub struct LoadedRoot {
    pub root: PathBuf,
    /// Every file that counts, in path order: what a reload compares.
    pub files: Vec<FileDigest>,
    /// The git commit checked out at the root, when it is a git checkout.
    pub commit: Option<String>,
    /// `flowgate.toml`; `None` when it is absent or does not decode.
    pub settings: Option<Settings>,
    pub processes: Vec<ProcessFile>,
    /// Process files that did not read, parse or decode, by path. Their own
    /// errors say why; the compiler still knows the names they give their
    /// processes, so a `call` of one is not a second mistake.
    pub unread_processes: Vec<String>,
    pub profiles: Vec<ProfileFile>,
    /// The files flowgate.toml names (`[server.https]` and `[upstreams]`
    /// certificates and keys), read with the rest so that a changed certificate is a changed
    /// root.
    pub named_files: Vec<NamedFile>,
    pub diagnostics: Diagnostics,
}

impl LoadedRoot {
    /// The file read for `written`, a path as flowgate.toml gives it.
    pub fn named_file(&self, written: &str) -> Option<&NamedFile> {
        self.named_files.iter().find(|file| file.written == written)
    }
}

/// A file that flowgate.toml points to, such as a PEM certificate or key.
/// Its problems are left to the compiler, which knows the key that named
/// it; its bytes may be a secret, so `Debug` shows only their length.
pub struct NamedFile {
    /// The path as written in flowgate.toml.
    pub written: String,
    /// The bytes, or why they could not be read.
    pub contents: Result<Vec<u8>, String>,
}

impl std::fmt::Debug for NamedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let contents = match &self.contents {
            Ok(bytes) => format!("{} bytes", bytes.len()),
            Err(err) => err.clone(),
        };
        f.debug_struct("NamedFile")
            .field("written", &self.written)
            .field("contents", &contents)
            .finish()
    }
}

#[derive(Debug)]
pub struct Settings {
    pub source: Arc<SourceFile>,
    pub raw: RawSettings,
    /// Entries of the file left out of `raw` for their bad values.
    pub left_out: LeftOut,
}

#[derive(Debug)]
pub struct ProcessFile {
    pub source: Arc<SourceFile>,
    pub raw: RawProcess,
    /// Entries of the file left out of `raw` for their bad values.
    pub left_out: LeftOut,
}

pub const SETTINGS_FILE: &str = "flowgate.toml";
pub const PROCESSES_DIR: &str = "processes";
pub const PROFILES_DIR: &str = "profiles";

/// Folders deeper than this under `processes/` or `profiles/` are an error
/// rather than read; it also stops symlink loops.
const MAX_DEPTH: usize = 16;

/// Entries (files and folders) read under `processes/` or `profiles/`: past
/// this the rest are an error, not read. A link to `/` or another large
/// tree would otherwise have the compile walk, and read, all of it.
const MAX_ENTRIES: usize = 50_000;

/// Why `root` cannot be a config root at all, if it cannot.
pub fn root_problem(root: &Path) -> Option<Diagnostic> {
    (!root.is_dir()).then(|| {
        Diagnostic::error(format!(
            "the config root `{}` is not a directory",
            root.display()
        ))
    })
}

pub fn load_root(root: &Path) -> LoadedRoot {
    let mut loaded = LoadedRoot {
        root: root.to_path_buf(),
        ..LoadedRoot::default()
    };
    if let Some(problem) = root_problem(root) {
        loaded.diagnostics.push(problem);
        return loaded;
    }

    loaded.commit = git::head_commit(root);
    let settings_path = root.join(SETTINGS_FILE);
    // There in any form: a folder, a FIFO or a link that leads nowhere is
    // an error, not a root without settings.
    if settings_path.symlink_metadata().is_ok()
        && let Some(source) = read_source(
            root,
            &settings_path,
            &mut loaded.files,
            &mut loaded.diagnostics,
        )
        && let Some((raw, left_out)) =
            decode::<RawSettings>(&source, Format::Toml, &mut loaded.diagnostics)
    {
        let https = raw.server.https.iter().flat_map(|https| https.files());
        let upstreams = raw.upstreams.values().flat_map(|upstream| upstream.files());
        for written in https.chain(upstreams) {
            read_named(root, &written.value, &mut loaded);
        }
        loaded.settings = Some(Settings {
            source,
            raw,
            left_out,
        });
    }

    let mut paths = Vec::new();
    let processes = root.join(PROCESSES_DIR);
    if processes.symlink_metadata().is_ok() {
        let errors = loaded.diagnostics.error_count();
        collect_paths(
            root,
            &processes,
            0,
            is_process_file,
            &mut paths,
            &mut 0,
            &mut loaded.diagnostics,
        );
        // A folder that could not be read is an error of its own.
        if paths.is_empty() && loaded.diagnostics.error_count() == errors {
            loaded.diagnostics.push(
                Diagnostic::new(
                    Severity::Warning,
                    "the root has no processes: it serves no route",
                )
                .at(Location::whole_file(PROCESSES_DIR)),
            );
        }
    } else {
        // A folder that vanishes is more often a volume not mounted yet or
        // a sync half done than a wish to serve nothing; as an error, a
        // reload keeps the routes that were served.
        loaded.diagnostics.push(
            Diagnostic::error(format!(
                "the config root `{}` has no `{PROCESSES_DIR}/` folder",
                root.display()
            ))
            .with_hint(format!(
                "processes are files under `{PROCESSES_DIR}/`; an empty folder serves no route"
            )),
        );
    }
    paths.sort();
    for path in paths {
        let Some(format) = Format::of(&path) else {
            continue;
        };
        let Some(source) = read_source(root, &path, &mut loaded.files, &mut loaded.diagnostics)
        else {
            loaded.unread_processes.push(display_path(root, &path));
            continue;
        };
        // An editor may leave a file empty for a moment while it saves:
        // that must not turn a served process into one with no route.
        let blank = source.text.lines().all(|line| {
            let line = line.trim();
            line.is_empty() || line.starts_with('#')
        });
        let empty = |loaded: &mut LoadedRoot, message: &str| {
            loaded
                .diagnostics
                .push(source.error(Span::new(0, 0), message).with_hint(
                    "a process has at least `steps:`; delete the file to remove the process",
                ));
            loaded.unread_processes.push(source.path.clone());
        };
        if blank {
            empty(&mut loaded, "the process file is empty");
            continue;
        }
        let errors = loaded.diagnostics.error_count();
        match decode::<RawProcess>(&source, format, &mut loaded.diagnostics) {
            // `{}` or `null`: as empty as a blank file, and as likely a
            // save half done.
            Some((raw, _)) if raw.is_empty() && loaded.diagnostics.error_count() == errors => {
                empty(&mut loaded, "the process file holds nothing");
            }
            Some((raw, left_out)) => loaded.processes.push(ProcessFile {
                source,
                raw,
                left_out,
            }),
            None => loaded.unread_processes.push(source.path.clone()),
        }
    }

    let mut paths = Vec::new();
    let profiles = root.join(PROFILES_DIR);
    // A root without profiles has no profiles/ folder at all.
    if profiles.symlink_metadata().is_ok() {
        collect_paths(
            root,
            &profiles,
            0,
            is_profile_file,
            &mut paths,
            &mut 0,
            &mut loaded.diagnostics,
        );
    }
    paths.sort();
    for path in paths {
        let Some((kind, name)) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(ProfileKind::of)
        else {
            continue;
        };
        let name = name.to_owned();
        if let Some(source) = read_source(root, &path, &mut loaded.files, &mut loaded.diagnostics) {
            loaded.profiles.push(ProfileFile { source, kind, name });
        }
    }
    loaded.files.sort_by(|a, b| a.path.cmp(&b.path));
    loaded
}

/// The two kinds of profile file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileKind {
    Xsd,
    JsonSchema,
}

impl ProfileKind {
    /// The kind and the profile name of a file name: `order.xsd` → (Xsd, `order`).
    pub fn of(file_name: &str) -> Option<(ProfileKind, &str)> {
        if let Some(name) = file_name.strip_suffix(".schema.json") {
            return Some((ProfileKind::JsonSchema, name));
        }
        file_name
            .strip_suffix(".xsd")
            .map(|name| (ProfileKind::Xsd, name))
    }
}

/// One file of `profiles/`.
#[derive(Debug)]
pub struct ProfileFile {
    pub source: Arc<SourceFile>,
    pub kind: ProfileKind,
    /// The profile's name: the file name without `.xsd` or `.schema.json`.
    pub name: String,
}

/// A file name the loader reads under `processes/`.
fn is_process_file(name: &str) -> bool {
    Format::of(Path::new(name)).is_some()
}

/// A file name the loader reads under `profiles/`.
fn is_profile_file(name: &str) -> bool {
    ProfileKind::of(name).is_some()
}

/// Which file names the loader reads in a folder it walks.
type Wanted = fn(&str) -> bool;

/// The folders the loader walks, each with the file names it reads there.
const WALKED: [(&str, Wanted); 2] = [
    (PROCESSES_DIR, is_process_file),
    (PROFILES_DIR, is_profile_file),
];

/// Where a path under the root stands for the loader. It is the rule
/// [`load_root`] walks by, so that the watcher, which asks it of every
/// changed path, reloads exactly for what a load would read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootPath {
    /// A file the loader reads: `flowgate.toml`, a process file under
    /// `processes/`, a profile under `profiles/`.
    Read,
    /// `processes/`, `profiles/`, or an entry under them that is read if it
    /// is a folder (whose files then are) and not otherwise, such as
    /// `processes/team` or `processes/README.md`.
    Walked,
    /// Never read by the walk: hidden, an editor's leftover, or outside
    /// the walked folders (a log file at the top of the root). Files that
    /// flowgate.toml or a test names may still be read (see
    /// [`crate::compile::Compilation::named_files`]).
    Other,
}

impl RootPath {
    /// `relative` is the path under the root, as `processes/a.yaml`.
    pub fn of(relative: &Path) -> RootPath {
        use std::path::Component;
        let mut names = Vec::new();
        for component in relative.components() {
            match component {
                Component::Normal(name) => match name.to_str() {
                    Some(name) if !is_ignored(name) => names.push(name),
                    _ => return RootPath::Other,
                },
                Component::CurDir => {}
                _ => return RootPath::Other,
            }
        }
        match names.as_slice() {
            [SETTINGS_FILE] => RootPath::Read,
            [top, rest @ ..] => match WALKED.iter().find(|(dir, _)| dir == top) {
                Some((_, wanted)) => match rest.last() {
                    Some(name) if wanted(name) => RootPath::Read,
                    _ => RootPath::Walked,
                },
                None => RootPath::Other,
            },
            [] => RootPath::Other,
        }
    }
}

/// Hidden files, editor leftovers and files of other types are not config.
pub fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || name.ends_with(".swp")
        || name.ends_with(".swx")
}

/// Every file under `dir` (not ignored) whose name `wanted` accepts. A
/// folder or entry that cannot be read is an error, never a silent gap: a
/// folder that vanished from a listing would take its processes' routes
/// down with a reload that reports success.
fn collect_paths(
    root: &Path,
    dir: &Path,
    depth: usize,
    wanted: Wanted,
    out: &mut Vec<PathBuf>,
    entries_read: &mut usize,
    diagnostics: &mut Diagnostics,
) {
    let unreadable = |path: &Path, err: &std::io::Error| {
        Diagnostic::file_error(
            display_path(root, path),
            format!("the folder cannot be read: {err}"),
        )
    };
    if depth > MAX_DEPTH {
        diagnostics.push(
            Diagnostic::file_error(
                display_path(root, dir),
                format!("folders nested more than {MAX_DEPTH} deep are not read"),
            )
            .with_hint("a symlink to a folder above it makes such a loop"),
        );
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            diagnostics.push(unreadable(dir, &err));
            return;
        }
    };
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                diagnostics.push(unreadable(dir, &err));
                continue;
            }
        };
        *entries_read += 1;
        if *entries_read > MAX_ENTRIES {
            diagnostics.push(
                Diagnostic::file_error(
                    display_path(root, dir),
                    format!("more than {MAX_ENTRIES} files and folders under one config folder: the rest are not read"),
                )
                .with_hint("a symlink to a large folder (`/`, a home) makes such a tree"),
            );
            return;
        }
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if is_ignored(name) {
            continue;
        }
        let path = entry.path();
        // Followed through symlinks: a link to a folder is a folder. One
        // that leads nowhere, or round in a loop, may have been a folder of
        // processes, so it is an error too.
        match std::fs::metadata(&path) {
            Ok(metadata) if metadata.is_dir() => {
                collect_paths(
                    root,
                    &path,
                    depth + 1,
                    wanted,
                    out,
                    entries_read,
                    diagnostics,
                );
                if *entries_read > MAX_ENTRIES {
                    return;
                }
            }
            Ok(_) if wanted(name) => out.push(path),
            Ok(_) => {}
            Err(err) => diagnostics.push(Diagnostic::file_error(
                display_path(root, &path),
                format!("cannot be read: {err}"),
            )),
        }
    }
}

fn display_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn read_source(
    root: &Path,
    path: &Path,
    files: &mut Vec<FileDigest>,
    diagnostics: &mut Diagnostics,
) -> Option<Arc<SourceFile>> {
    use sha2::Digest as _;
    let shown = display_path(root, path);
    // A FIFO or a device would block the read, or never end it.
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => {
            diagnostics.push(Diagnostic::file_error(
                shown,
                "not a regular file, so it is not read",
            ));
            return None;
        }
        _ => {}
    }
    match std::fs::read(path) {
        Ok(bytes) => {
            // Every file read counts for "did anything change", even one that does not parse.
            files.push(FileDigest {
                path: shown.clone(),
                sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            });
            match String::from_utf8(bytes) {
                Ok(text) => Some(SourceFile::new(shown, text)),
                Err(err) => {
                    // The text before the first bad byte is the file's own, so
                    // the diagnostic can point at that byte.
                    let at = err.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                    let source = SourceFile::new(shown, text);
                    diagnostics.push(
                        source
                            .error(
                                Span::new(at, at + 1),
                                "the file is not UTF-8: this byte is not valid",
                            )
                            .with_hint("save the file as UTF-8"),
                    );
                    None
                }
            }
        }
        Err(err) => {
            diagnostics.push(Diagnostic::file_error(
                shown,
                format!("cannot be read: {err}"),
            ));
            None
        }
    }
}

/// Where a path written in flowgate.toml leads: relative to the root, or
/// absolute. A relative path may not climb out of the root; a file outside
/// it is named by its absolute path, so that leaving the root is plain to
/// see.
pub fn resolve_named(root: &Path, written: &str) -> Result<PathBuf, String> {
    use std::path::Component;
    if written.trim().is_empty() {
        return Err("the path is empty".to_owned());
    }
    let path = Path::new(written);
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    if path
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
    {
        return Err(format!(
            "`{written}` leaves the config root; paths are relative to the root, or absolute for a file outside it"
        ));
    }
    Ok(root.join(path))
}

/// Reads a file flowgate.toml names, once even if named twice, and counts
/// it among the root's files (by its path under the root, or its absolute
/// path outside it).
fn read_named(root: &Path, written: &str, loaded: &mut LoadedRoot) {
    use sha2::Digest as _;
    if loaded.named_file(written).is_some() {
        return;
    }
    let contents = resolve_named(root, written).and_then(|path| {
        let bytes = read_bounded(&path, MAX_NAMED_FILE).map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => format!("there is no file `{written}`"),
            std::io::ErrorKind::FileTooLarge => format!(
                "`{written}` is larger than {}; a PEM file of certificates or a key is a few KiB",
                crate::units::ByteSize(MAX_NAMED_FILE)
            ),
            _ => format!("`{written}` cannot be read: {err}"),
        })?;
        let shown = if path.starts_with(root) {
            display_path(root, &path)
        } else {
            path.display().to_string()
        };
        if !loaded.files.iter().any(|f| f.path == shown) {
            loaded.files.push(FileDigest {
                path: shown,
                sha256: hex::encode(sha2::Sha256::digest(&bytes)),
            });
        }
        Ok(bytes)
    });
    loaded.named_files.push(NamedFile {
        written: written.to_owned(),
        contents,
    });
}

/// The most of a named file that is read: PEM files are small, and a path
/// like `/dev/zero` must not fill the memory.
const MAX_NAMED_FILE: u64 = 1 << 20;

/// Reads a regular file of at most `limit` bytes.
fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    // Checked before opening: opening a FIFO waits for a writer.
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(std::io::ErrorKind::FileTooLarge.into());
    }
    Ok(bytes)
}

/// Parses and decodes one file; every problem becomes a diagnostic. The
/// value comes with the paths of the entries left out of it (see
/// [`de::Lenient`]).
fn decode<T: for<'a> serde::Deserialize<'a>>(
    source: &Arc<SourceFile>,
    format: Format,
    diagnostics: &mut Diagnostics,
) -> Option<(T, LeftOut)> {
    let (node, errors) = match format.parse(&source.text) {
        Ok((node, errors)) => (Some(node), errors),
        Err(errors) => (None, errors),
    };
    for err in errors {
        diagnostics.push(source.error(err.span.unwrap_or_default(), err.message));
    }
    let node = node?;
    // Compiled on past unknown keys and bad values, so the mistakes further
    // in are found too.
    let decoded = de::from_node_lenient::<T>(&node);
    for err in &decoded.errors {
        diagnostics.push(de_diagnostic(source, err));
    }
    Some((decoded.value?, decoded.left_out))
}

/// A decode error as a diagnostic in `source`.
pub fn de_diagnostic(source: &SourceFile, err: &DeError) -> Diagnostic {
    source
        .error(err.span.unwrap_or_default(), err.to_string())
        .with_hint_opt(err.hint())
}

/// A decode error inside a step, where an unknown variant is an unknown step.
pub fn step_diagnostic(source: &SourceFile, err: &DeError) -> Diagnostic {
    let span = err.span.unwrap_or_default();
    match &err.kind {
        DeErrorKind::UnknownVariant { variant, .. } => source
            .error(span, format!("unknown step `{variant}`"))
            .with_hint_opt(err.hint()),
        DeErrorKind::NotOneKey(keys) if keys.is_empty() => source.error(
            span,
            "a step needs its kind, such as `message:` or `return:`",
        ),
        DeErrorKind::NotOneKey(keys) => source
            .error(
                span,
                format!(
                    "a step has one key, its kind; this one has {} ({})",
                    keys.len(),
                    de::quoted_list(keys)
                ),
            )
            .with_hint_opt(err.hint()),
        _ => de_diagnostic(source, err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_rules() {
        for name in [
            ".hidden.yaml",
            "a.yaml~",
            "#a.yaml#",
            "4913",
            ".a.yaml.swp",
            "x.swp",
        ] {
            assert!(is_ignored(name), "{name}");
        }
        for name in ["hello.yaml", "echo-order.toml", "x.yml"] {
            assert!(!is_ignored(name), "{name}");
        }
    }

    #[test]
    fn named_files_are_small_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("certs")).unwrap();
        std::fs::write(root.join("certs/big.pem"), vec![b'A'; (1 << 20) + 1]).unwrap();
        std::fs::write(
            root.join(SETTINGS_FILE),
            "[server.https]\nlisten = \"127.0.0.1:9443\"\ncert = \"/dev/zero\"\nkey = \"certs/big.pem\"\nclient_ca = \"certs/none.pem\"\n",
        )
        .unwrap();
        let loaded = load_root(root);
        let error = |written: &str| {
            loaded
                .named_file(written)
                .and_then(|file| file.contents.as_ref().err().cloned())
                .unwrap_or_default()
        };
        assert!(
            error("/dev/zero").contains("not a regular file"),
            "{loaded:?}"
        );
        assert!(
            error("certs/big.pem").contains("larger than 1MiB"),
            "{loaded:?}"
        );
        assert_eq!(error("certs/none.pem"), "there is no file `certs/none.pem`");
        // Only what was read counts among the files.
        let files: Vec<&str> = loaded.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(files, [SETTINGS_FILE]);
    }

    #[test]
    fn process_files_that_cannot_be_read_as_text_are_diagnostics() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("processes")).unwrap();
        // A Latin-1 `é` on line 2, column 17.
        std::fs::write(
            root.join("processes/latin.yaml"),
            b"steps: []\ndescription: caf\xe9\n",
        )
        .unwrap();
        // A FIFO would block the read until a writer came.
        let fifo = root.join("processes/fifo.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let loaded = load_root(root);
        let messages: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
        let latin = loaded
            .diagnostics
            .iter()
            .find(|d| d.message.contains("not UTF-8"))
            .expect("a diagnostic for the Latin-1 file");
        let at = latin.location.as_ref().expect("a location");
        assert_eq!(
            (at.file.as_str(), at.line, at.column),
            ("processes/latin.yaml", 2, 17)
        );
        if made.is_ok_and(|status| status.success()) {
            assert!(
                messages.iter().any(|m| m
                    .contains("not a regular file, so it is not read\n --> processes/fifo.yaml\n")),
                "{messages:?}"
            );
        }
    }

    #[test]
    fn a_tree_too_large_to_be_config_is_not_walked_to_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let many = root.join("processes/many");
        std::fs::create_dir_all(&many).unwrap();
        for i in 0..=MAX_ENTRIES {
            std::fs::File::create(many.join(format!("{i}.txt"))).unwrap();
        }
        let loaded = load_root(root);
        let too_many: Vec<String> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.message.contains("the rest are not read"))
            .map(|d| d.to_string())
            .collect();
        assert_eq!(too_many.len(), 1, "{:?}", loaded.diagnostics);
        assert!(too_many[0].contains("--> processes/many"), "{too_many:?}");
    }

    #[test]
    fn a_settings_file_that_cannot_be_read_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("processes")).unwrap();
        std::fs::write(root.join("processes/a.yaml"), "description: x\n").unwrap();
        std::fs::create_dir(root.join(SETTINGS_FILE)).unwrap();
        let loaded = load_root(root);
        assert!(
            loaded.diagnostics.iter().any(|d| d.is_error()
                && d.to_string()
                    .contains("not a regular file, so it is not read\n --> flowgate.toml\n")),
            "{:?}",
            loaded.diagnostics
        );
        std::fs::remove_dir(root.join(SETTINGS_FILE)).unwrap();
        std::os::unix::fs::symlink("nowhere.toml", root.join(SETTINGS_FILE)).unwrap();
        let loaded = load_root(root);
        assert!(
            loaded
                .diagnostics
                .iter()
                .any(|d| d.is_error()
                    && d.location.as_ref().is_some_and(|l| l.file == SETTINGS_FILE)),
            "{:?}",
            loaded.diagnostics
        );
    }

    #[test]
    fn an_empty_process_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("processes")).unwrap();
        std::fs::write(root.join("processes/blank.toml"), "# nothing yet\n\n").unwrap();
        std::fs::write(root.join("processes/empty.yaml"), "").unwrap();
        std::fs::write(root.join("processes/braces.yaml"), "{}\n").unwrap();
        std::fs::write(root.join("processes/null.yaml"), "~\n").unwrap();
        let loaded = load_root(root);
        let located: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.location.as_ref().unwrap(), d.message))
            .collect();
        assert_eq!(
            located,
            [
                "processes/blank.toml:1:1 the process file is empty",
                "processes/braces.yaml:1:1 the process file holds nothing",
                "processes/empty.yaml:1:1 the process file is empty",
                "processes/null.yaml:1:1 the process file holds nothing"
            ]
        );
        assert!(loaded.processes.is_empty());
    }

    fn messages(loaded: &LoadedRoot) -> Vec<String> {
        loaded.diagnostics.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn folders_that_cannot_be_walked_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("processes/sub")).unwrap();
        std::fs::write(root.join("processes/sub/hello.yaml"), "steps: []\n").unwrap();
        // A link that leads round in a loop, one that leads nowhere (either
        // may have been a folder of processes), and one to the folder above
        // it, which nests without end.
        std::os::unix::fs::symlink("loop", root.join("processes/loop")).unwrap();
        std::os::unix::fs::symlink("gone", root.join("processes/moved")).unwrap();
        std::os::unix::fs::symlink("..", root.join("processes/sub/up")).unwrap();
        // A file where the folder of profiles goes.
        std::fs::write(root.join("profiles"), "").unwrap();
        let loaded = load_root(root);
        let messages = messages(&loaded);
        let has = |text: &str| messages.iter().any(|m| m.contains(text));
        for (file, message) in [
            (
                "processes/loop",
                "cannot be read: Too many levels of symbolic links (os error 40)",
            ),
            (
                "processes/moved",
                "cannot be read: No such file or directory (os error 2)",
            ),
            (
                "processes/sub/up/sub/up/sub/up/sub/up/sub/up/sub/up/sub/up/sub/up/sub",
                "folders nested more than 16 deep are not read",
            ),
            (
                "profiles",
                "the folder cannot be read: Not a directory (os error 20)",
            ),
        ] {
            assert!(
                has(&format!("error: {message}\n --> {file}\n")),
                "{messages:?}"
            );
        }
        assert!(loaded.diagnostics.iter().all(Diagnostic::is_error));
    }

    #[test]
    fn a_root_without_processes_is_an_error_and_an_empty_one_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let loaded = load_root(root);
        assert!(loaded.diagnostics.has_errors());
        let message = &loaded.diagnostics.iter().next().unwrap().message;
        assert!(message.ends_with("has no `processes/` folder"), "{message}");

        std::fs::create_dir(root.join("processes")).unwrap();
        std::fs::write(root.join("processes/README.md"), "notes").unwrap();
        let loaded = load_root(root);
        assert_eq!(
            messages(&loaded),
            ["warning: the root has no processes: it serves no route\n --> processes\n"]
        );
    }

    /// `chmod 000` stops only a user without `CAP_DAC_READ_SEARCH`; as root
    /// the walk reads the folder anyway, and the test says it was skipped
    /// (the error path itself is held by the test above).
    #[test]
    fn an_unreadable_folder_is_an_error() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let sub = root.join("processes/sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("hello.yaml"), "steps: []\n").unwrap();
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o000)).unwrap();
        let privileged = std::fs::read_dir(&sub).is_ok();
        let loaded = load_root(root);
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
        if privileged {
            eprintln!(
                "skipped: this user reads a folder of mode 000 (root?), so it cannot be unreadable"
            );
            return;
        }
        assert_eq!(
            messages(&loaded),
            [
                "error: the folder cannot be read: Permission denied (os error 13)\n --> processes/sub\n"
            ]
        );
    }

    #[test]
    fn which_paths_the_loader_reads() {
        for read in [
            "flowgate.toml",
            "processes/hello.yaml",
            "processes/team/deep/hello.yml",
            "processes/hello.toml",
            "profiles/order.xsd",
            "profiles/json/order-ack.schema.json",
            "./processes/hello.yaml",
        ] {
            assert_eq!(RootPath::of(Path::new(read)), RootPath::Read, "{read}");
        }
        for walked in [
            "processes",
            "profiles",
            "processes/team",
            "processes/README.md",
            "profiles/order.json",
        ] {
            assert_eq!(
                RootPath::of(Path::new(walked)),
                RootPath::Walked,
                "{walked}"
            );
        }
        for other in [
            "",
            "flowgate.log",
            "flowgate.toml~",
            "certs/server.pem",
            "samples/order.json",
            "processes.yaml",
            "processes/.hello.yaml.swp",
            "processes/hello.yaml~",
            "processes/#hello.yaml#",
            "processes/4913",
            "processes/.team/hello.yaml",
            ".git/index",
            ".flowgate/executions.db",
            "sub/flowgate.toml",
            "../processes/hello.yaml",
        ] {
            assert_eq!(RootPath::of(Path::new(other)), RootPath::Other, "{other}");
        }
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::of(Path::new("a/b.yaml")), Some(Format::Yaml));
        assert_eq!(Format::of(Path::new("b.yml")), Some(Format::Yaml));
        assert_eq!(Format::of(Path::new("b.toml")), Some(Format::Toml));
        assert_eq!(Format::of(Path::new("b.json")), None);
        assert_eq!(Format::of(Path::new("README")), None);
    }
}
