//! `docs/security.md` names, for each requirement, the test that shows it. This checks that
//! every test it names exists, so a renamed or removed test cannot leave the table pointing at
//! nothing. (CI runs them all; this makes sure the table's names are among them.)

use std::path::Path;

/// The test references in the table: `path.rs::name`, `path.rs::tests::name`, `::name` (same
/// file as the reference before it) and `name.spec.ts "title"`.
fn references(doc: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut file = String::new();
    for code in doc.split('`').skip(1).step_by(2) {
        if let Some((path, title)) = code.split_once(".spec.ts \"") {
            let title = title.trim_end_matches('"');
            found.push((format!("end2end/tests/{path}.spec.ts"), title.to_owned()));
        } else if let Some(name) = code.strip_prefix("::") {
            found.push((file.clone(), name.to_owned()));
        } else if let Some((path, name)) = code.split_once(".rs::") {
            file = format!("{path}.rs");
            let name = name.rsplit("::").next().unwrap_or(name);
            found.push((file.clone(), name.to_owned()));
        }
    }
    // The table's legend explains the forms with placeholders.
    found.retain(|(path, name)| {
        !path.contains('…') && !name.contains('…') && !path.starts_with("tests/x.rs")
    });
    found
}

#[test]
fn every_test_the_security_table_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/security.md")).unwrap();
    let references = references(&doc);
    assert!(references.len() > 60, "{} references", references.len());
    let mut missing = Vec::new();
    for (path, name) in &references {
        let source = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        let defined = if path.ends_with(".ts") {
            source.contains(name.as_str())
        } else {
            source.contains(&format!("fn {name}("))
        };
        if !defined {
            missing.push(format!("{path}: {name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "named in docs/security.md but not found:\n{}",
        missing.join("\n")
    );
}
