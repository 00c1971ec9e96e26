//! Prepares what the core embeds in the binary: the list of SQL migrations (generated from the files in
//! `migrations/` at the repository root, so a new migration is only a new file) and the local embedding model.
//!
//! The fetched files (scripts/fetch-model.sh) must be present. The model's single tensor is stored as 32-bit
//! floats (30 MB); it is converted here to 16-bit floats (15 MB) so the app stays within its size budget.
//! model2vec-rs reads F16 tensors; the precision lost is far below what changes a search ranking (the
//! relevance test in tests/knowledge.rs runs on this converted model).

use std::path::{Path, PathBuf};

const MODEL_DIR: &str = "model/potion-base-8M";
const FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Writes `$OUT_DIR/migrations.rs`: one `Migration` per `NNNN_name.sql` file, in version order.
fn generate_migrations() {
    // Read when the script runs, not when it is compiled: a build script compiled in another checkout (a
    // reused target folder) must still read this checkout's migrations.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("../../migrations");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut found: Vec<(i64, String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read the migrations folder") {
        let path = entry.expect("read the migrations folder").path();
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".sql") else {
            continue;
        };
        let (num, name) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("migration {file} is not named NNNN_name.sql"));
        let version: i64 = num
            .parse()
            .unwrap_or_else(|_| panic!("migration {file} does not start with its version number"));
        println!("cargo:rerun-if-changed={}", path.display());
        found.push((
            version,
            name.to_owned(),
            path.canonicalize().expect("migration path"),
        ));
    }
    found.sort();
    for (i, (v, _, _)) in found.iter().enumerate() {
        assert_eq!(
            *v,
            i as i64 + 1,
            "migration versions must run 1, 2, 3… without gaps"
        );
    }
    let mut out = String::from("&[\n");
    for (version, name, path) in &found {
        out.push_str(&format!(
            "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},\n",
            path.display().to_string()
        ));
    }
    out.push(']');
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(dest, out).expect("write migrations.rs");
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    generate_migrations();
    println!("cargo:rerun-if-changed={MODEL_DIR}");
    for f in FILES {
        let p = Path::new(MODEL_DIR).join(f);
        println!("cargo:rerun-if-changed={}", p.display());
        if !p.is_file() {
            panic!(
                "the local embedding model is missing ({}): run scripts/fetch-model.sh from the repository root",
                p.display()
            );
        }
    }
    let src = std::fs::read(Path::new(MODEL_DIR).join("model.safetensors"))
        .expect("read model.safetensors");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("model-f16.safetensors");
    std::fs::write(&out, to_f16(&src)).expect("write the converted model");
}

/// Rewrites every F32 tensor of a safetensors file as F16; other tensors are copied unchanged.
fn to_f16(src: &[u8]) -> Vec<u8> {
    let n = u64::from_le_bytes(src[..8].try_into().expect("header length")) as usize;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&src[8..8 + n]).expect("safetensors header");
    let data = &src[8 + n..];
    let mut names: Vec<&String> = header.keys().filter(|k| *k != "__metadata__").collect();
    names.sort_by_key(|k| header[*k]["data_offsets"][0].as_u64().unwrap_or(0));
    let mut new_header = serde_json::Map::new();
    if let Some(m) = header.get("__metadata__") {
        new_header.insert("__metadata__".into(), m.clone());
    }
    let mut body: Vec<u8> = Vec::with_capacity(data.len() / 2);
    for name in names {
        let t = &header[name];
        let (a, b) = (
            t["data_offsets"][0].as_u64().expect("offset") as usize,
            t["data_offsets"][1].as_u64().expect("offset") as usize,
        );
        let raw = &data[a..b];
        let start = body.len();
        let dtype = if t["dtype"] == "F32" {
            for c in raw.chunks_exact(4) {
                let x = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                body.extend_from_slice(&half::f16::from_f32(x).to_le_bytes());
            }
            "F16".to_owned()
        } else {
            body.extend_from_slice(raw);
            t["dtype"].as_str().expect("dtype").to_owned()
        };
        new_header.insert(
            name.clone(),
            serde_json::json!({"dtype": dtype, "shape": t["shape"], "data_offsets": [start, body.len()]}),
        );
    }
    let mut h = serde_json::to_vec(&new_header).expect("header json");
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + body.len());
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&body);
    out
}
