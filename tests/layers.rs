//! The layout's rule, checked on the sources: inside each crate (`tcplink` in `src/`, the
//! transport layer in `backends/base/src/`) no module uses a module that uses it back, directly
//! or through others. Between crates Cargo already forbids circles.
//!
//! A module is a file under the crate's `src/` (a directory with `mod.rs` is one module); it uses
//! another when its code (comments left out) names `crate::other`, or an item the crate root
//! re-exports from `other` (`crate::Connection` is the `connection` module).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module of the crate at `src` and the modules it uses.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = if path.is_dir() {
            let mut text = String::new();
            for file in std::fs::read_dir(&path).unwrap() {
                text += &std::fs::read_to_string(file.unwrap().path()).unwrap();
            }
            text
        } else {
            std::fs::read_to_string(&path).unwrap()
        };
        sources.insert(name, code_only(&text));
    }
    let root = sources.remove("lib").expect("a library crate");
    let reexported = root_reexports(&root, &sources);
    sources
        .iter()
        .map(|(module, code)| {
            let used = code
                .split("crate::")
                .skip(1)
                .filter_map(|rest| {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if sources.contains_key(&name) {
                        Some(name)
                    } else {
                        reexported.get(&name).cloned()
                    }
                })
                .filter(|used| used != module)
                .collect();
            (module.clone(), used)
        })
        .collect()
}

/// The text without `//` comments (doc links name items they do not use).
fn code_only(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Item name → the module the crate root re-exports it from (`pub use module::{A, B};`).
fn root_reexports(root: &str, modules: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for statement in root.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        if modules.contains_key(module) {
            for item in items.trim_matches(|c| "{} \n".contains(c)).split(',') {
                map.insert(item.trim().to_string(), module.to_string());
            }
        }
    }
    map
}

/// A circle of modules, if the graph has one.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            return Some(path[at..].to_vec());
        }
        if !done.insert(module.to_string()) {
            return None;
        }
        path.push(module.to_string());
        for used in &graph[module] {
            if let Some(circle) = visit(used, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_uses_a_module_that_uses_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for src in ["src", "backends/base/src"] {
        let graph = module_graph(&root.join(src));
        assert!(graph.len() > 3, "{src}: too few modules found: {graph:?}");
        assert_eq!(find_circle(&graph), None, "{src}: {graph:#?}");
    }
}

#[test]
fn the_check_finds_a_circle() {
    let graph = BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
    ]);
    assert_eq!(
        find_circle(&graph),
        Some(vec!["a".to_string(), "b".to_string(), "c".to_string()])
    );
}
