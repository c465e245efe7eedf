//! The commit a config root is checked out at, read from `.git` files
//! without running git (which may not be installed where flowgate runs).

use std::fs;
use std::path::{Path, PathBuf};

/// The commit at `HEAD` of the git checkout that holds `root`, if any.
/// Handles branches (loose and packed refs), a detached `HEAD`, and
/// worktrees whose `.git` is a file pointing elsewhere (git-sync).
pub fn head_commit(root: &Path) -> Option<String> {
    let root = fs::canonicalize(root).ok()?;
    let git_dir = root.ancestors().find_map(git_dir_of)?;
    let head = fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    match head.strip_prefix("ref:") {
        Some(reference) => resolve(&git_dir, reference.trim()),
        None => is_object_id(head).then(|| head.to_owned()),
    }
}

/// The git directory for a checkout at `dir`: `dir/.git`, or where a
/// `.git` file's `gitdir:` line points.
fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let dot_git = dir.join(".git");
    if dot_git.is_dir() {
        return Some(dot_git);
    }
    let text = fs::read_to_string(&dot_git).ok()?;
    let target = text
        .lines()
        .find_map(|line| line.strip_prefix("gitdir:"))?
        .trim();
    let target = Path::new(target);
    Some(if target.is_absolute() {
        target.to_path_buf()
    } else {
        dir.join(target)
    })
}

fn resolve(git_dir: &Path, reference: &str) -> Option<String> {
    // A worktree keeps its HEAD but shares refs with the main repository.
    let common = match fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => {
            let common = Path::new(text.trim());
            if common.is_absolute() {
                common.to_path_buf()
            } else {
                git_dir.join(common)
            }
        }
        Err(_) => git_dir.to_path_buf(),
    };
    for dir in [git_dir, common.as_path()] {
        if let Ok(text) = fs::read_to_string(dir.join(reference)) {
            let id = text.trim();
            if is_object_id(id) {
                return Some(id.to_owned());
            }
        }
    }
    let packed = fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (id, name) = line.split_once(' ')?;
        (name.trim() == reference && is_object_id(id)).then(|| id.to_owned())
    })
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef01234567";
    const B: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn branches_packed_refs_and_detached_heads() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(head_commit(root), None);

        write(&root.join(".git/HEAD"), "ref: refs/heads/main\n");
        write(&root.join(".git/refs/heads/main"), &format!("{A}\n"));
        assert_eq!(head_commit(root).as_deref(), Some(A));

        fs::remove_file(root.join(".git/refs/heads/main")).unwrap();
        write(
            &root.join(".git/packed-refs"),
            &format!("# pack-refs with: peeled\n{B} refs/heads/main\n"),
        );
        assert_eq!(head_commit(root).as_deref(), Some(B));

        write(&root.join(".git/HEAD"), &format!("{A}\n"));
        assert_eq!(head_commit(root).as_deref(), Some(A));

        // A root in a subfolder of the checkout.
        fs::create_dir_all(root.join("config/processes")).unwrap();
        assert_eq!(head_commit(&root.join("config")).as_deref(), Some(A));
    }

    #[test]
    fn worktrees_point_to_their_git_dir() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let worktree = dir.path().join("rev-a");
        write(&repo.join(".git/refs/heads/main"), &format!("{B}\n"));
        write(
            &repo.join(".git/worktrees/rev-a/HEAD"),
            "ref: refs/heads/main\n",
        );
        write(&repo.join(".git/worktrees/rev-a/commondir"), "../..\n");
        write(
            &worktree.join(".git"),
            &format!("gitdir: {}\n", repo.join(".git/worktrees/rev-a").display()),
        );
        assert_eq!(head_commit(&worktree).as_deref(), Some(B));
    }
}
