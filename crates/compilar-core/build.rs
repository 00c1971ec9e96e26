//! Prepares the local embedding model that the core embeds in the binary.
//!
//! The fetched files (scripts/fetch-model.sh) must be present. The model's single tensor is stored as 32-bit
//! floats (30 MB); it is converted here to 16-bit floats (15 MB) so the app stays within its size budget.
//! model2vec-rs reads F16 tensors; the precision lost is far below what changes a search ranking (the
//! relevance test in tests/knowledge.rs runs on this converted model).

use std::path::{Path, PathBuf};

const MODEL_DIR: &str = "model/potion-base-8M";
const FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
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
