//! The golden vectors shared with the Python tests (`tests/data/xxh64_vectors.json`).

use hp_store::{key_hash, xxh64, SEED};

#[test]
fn golden_vectors_match() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/xxh64_vectors.json"
    );
    let text = std::fs::read_to_string(path).expect("golden vector file");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["seed"].as_u64(), Some(SEED));
    let vectors = doc["vectors"].as_array().expect("vectors");
    assert!(vectors.len() >= 20);
    for v in vectors {
        let key = v["key"].as_str().expect("key");
        let want = v["hash"].as_u64().expect("hash");
        assert_eq!(key_hash(key), want, "key {key:?}");
        assert_eq!(xxh64(key.as_bytes(), SEED), want);
    }
}
