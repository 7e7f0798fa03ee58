//! The one-way dependency rule of ARCHITECTURE.md, checked by reading the `use` lines (and any
//! other path mention) of every source file.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// Lines of code that name a path, comments skipped.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(path)
        .expect("source is UTF-8")
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        .map(|(i, l)| (i + 1, l.to_owned()))
        .collect()
}

fn assert_module_avoids(module: &str, forbidden: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(module);
    let mut problems = Vec::new();
    for file in files_under(&root) {
        for (n, line) in code_lines(&file) {
            for f in forbidden {
                if line.contains(f) {
                    problems.push(format!("{}:{n}: uses {f}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "`{module}` must not depend on these:\n{}", problems.join("\n"));
}

const LAYERS: [&str; 7] = ["gateway", "journal", "vault", "service", "sim", "ui", "cli"];

fn crate_paths(modules: &[&str]) -> Vec<String> {
    modules.iter().flat_map(|m| [format!("crate::{m}"), format!("super::super::{m}")]).collect()
}

#[test]
fn aps_is_pure() {
    let mut forbidden: Vec<String> = crate_paths(&LAYERS);
    forbidden.extend(
        [
            "tokio",
            "reqwest",
            "egui",
            "eframe",
            "keyring",
            "rusqlite",
            "std::fs",
            "std::net",
            "hyper",
            "SystemTime::now",
            "Utc::now",
            "Local::now",
        ]
        .map(String::from),
    );
    let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    assert_module_avoids("aps", &refs);
}

#[test]
fn edges_depend_only_on_aps() {
    for module in ["gateway", "journal", "vault", "sim"] {
        let others: Vec<&str> = LAYERS.iter().copied().filter(|m| *m != module).collect();
        let mut forbidden = crate_paths(&others);
        forbidden.extend(["egui", "eframe"].map(String::from));
        let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
        assert_module_avoids(module, &refs);
    }
}

#[test]
fn service_never_touches_egui() {
    let mut forbidden = crate_paths(&["ui", "cli", "sim"]);
    forbidden.extend(["egui", "eframe", "rfd::"].map(String::from));
    let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    assert_module_avoids("service", &refs);
}

#[test]
fn ui_talks_only_to_the_service() {
    let forbidden = [
        "crate::gateway",
        "crate::journal",
        "crate::vault",
        "crate::aps::sign",
        "crate::sim",
        "reqwest",
        "rusqlite",
        "keyring",
    ];
    assert_module_avoids("ui", &forbidden);
}

#[test]
fn cli_uses_the_service_not_its_parts() {
    let forbidden = ["crate::gateway", "crate::journal", "keyring", "rusqlite", "reqwest"];
    assert_module_avoids("cli", &forbidden);
}

#[test]
fn files_is_a_leaf() {
    // Owner-only file helpers every layer may use, so they may use no layer themselves.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join("files.rs");
    let uses: Vec<String> = code_lines(&path)
        .into_iter()
        .filter(|(_, l)| l.contains("crate::") || (l.contains("super::") && l.trim() != "use super::*;"))
        .map(|(n, l)| format!("{}:{n}: {}", path.display(), l.trim()))
        .collect();
    assert!(uses.is_empty(), "`files` must not depend on the rest of the crate:\n{}", uses.join("\n"));
}
