//! The one-way dependency rule of ARCHITECTURE.md, checked by reading every path each source
//! file names (`paths.rs` reads them as the compiler does: whole segments, `use` trees expanded,
//! `super::` resolved).

mod paths;
mod size;

use paths::{module_of, paths_named};
use std::path::{Path, PathBuf};

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
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

fn assert_module_avoids(module: &str, forbidden: &[&str]) {
    let src = src_dir();
    let mut problems = Vec::new();
    for file in files_under(&src.join(module)) {
        for named in paths_named(&src, &file) {
            for f in forbidden.iter().filter(|f| named.names(f)) {
                problems.push(format!("{}:{}: uses {f}: {}", file.display(), named.line, named.text()));
            }
        }
    }
    assert!(problems.is_empty(), "`{module}` must not depend on these:\n{}", problems.join("\n"));
}

const LAYERS: [&str; 8] = ["gateway", "journal", "vault", "report", "service", "sim", "ui", "cli"];

fn crate_paths(modules: &[&str]) -> Vec<String> {
    modules.iter().map(|m| format!("crate::{m}")).collect()
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
fn report_is_pure_over_aps() {
    // Receipts and reports are bytes made from values: the service reads, the caller writes.
    let others: Vec<&str> = LAYERS.iter().copied().filter(|m| *m != "report").collect();
    let mut forbidden = crate_paths(&others);
    forbidden.extend(
        ["tokio", "egui", "eframe", "rfd", "std::fs", "std::net", "Utc::now", "Local::now"].map(String::from),
    );
    let refs: Vec<&str> = forbidden.iter().map(String::as_str).collect();
    assert_module_avoids("report", &refs);
}

#[test]
fn service_never_touches_egui() {
    let mut forbidden = crate_paths(&["ui", "cli", "sim"]);
    forbidden.extend(["egui", "eframe", "rfd"].map(String::from));
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
    // Owner-only file helpers every layer may use, so they may use no layer themselves. (Its
    // test module's `use super::*` reads as `crate::*`: inline modules are not tracked.)
    let src = src_dir();
    let path = src.join("files.rs");
    let uses: Vec<String> = paths_named(&src, &path)
        .into_iter()
        .filter(|n| n.segments[0] == "crate" && n.text() != "crate::*")
        .map(|n| format!("{}:{}: {}", path.display(), n.line, n.text()))
        .collect();
    assert!(uses.is_empty(), "`files` must not depend on the rest of the crate:\n{}", uses.join("\n"));
}

#[test]
fn ui_does_no_file_io() {
    // Files are read and written by the service; a screen only asks for it.
    assert_module_avoids("ui", &["std::fs", "tokio::fs", "File::open", "File::create"]);
}

/// The screens: every file and folder in `src/ui/screens` but its `mod.rs`.
fn screen_names() -> Vec<String> {
    let dir = src_dir().join("ui").join("screens");
    std::fs::read_dir(&dir)
        .expect("src/ui/screens")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "mod.rs"))
        .map(|p| p.file_stem().expect("a name").to_string_lossy().into_owned())
        .collect()
}

#[test]
fn no_screen_imports_another_screen() {
    // Shared pieces live in `ui::widgets` or `ui::format`; a screen borrowing from another
    // screen is how the profile form and the settings screen ended up importing each other.
    let src = src_dir();
    let screens = screen_names();
    let mut problems = Vec::new();
    for file in files_under(&src.join("ui").join("screens")) {
        let Some(own) = module_of(&src, &file).get(3).cloned() else { continue };
        for named in paths_named(&src, &file) {
            let s = &named.segments;
            if s.len() > 3 && s[..3] == ["crate", "ui", "screens"] && screens.contains(&s[3]) && s[3] != own {
                problems.push(format!(
                    "{}:{}: screen {own} uses {}",
                    file.display(),
                    named.line,
                    named.text()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "a screen must not import another screen:\n{}", problems.join("\n"));
}

#[test]
fn widgets_never_reach_up_to_screens_or_the_shell() {
    // ui layers, one way: app -> gate -> screens -> widgets -> (env, theme, format, call).
    assert_module_avoids("ui/widgets", &["crate::ui::screens", "crate::ui::app", "crate::ui::gate"]);
    assert_module_avoids("ui/screens", &["crate::ui::app", "crate::ui::gate"]);
}

#[test]
fn the_batch_file_is_read_without_io() {
    // `service::batch::file` takes a file's bytes and name: the runner beside it reads files,
    // asks the journal and sends. Kept pure, every rule of the format is a plain unit test.
    let src = src_dir();
    let forbidden =
        ["std::fs", "tokio", "std::net", "crate::journal", "crate::gateway", "crate::vault", "File::open"];
    let mut files = files_under(&src.join("service/batch/file"));
    files.push(src.join("service/batch/file.rs"));
    let mut problems = Vec::new();
    for file in files {
        for named in paths_named(&src, &file) {
            for f in forbidden.iter().filter(|f| named.names(f)) {
                problems.push(format!("{}:{}: uses {f}: {}", file.display(), named.line, named.text()));
            }
        }
    }
    assert!(problems.is_empty(), "the batch file must be pure:\n{}", problems.join("\n"));
}
