//! Packs: the widget decodes whatever bytes the network hands it. Every reader must return an
//! error, never panic, and a pack that opens must answer queries. The codec underneath must
//! read back exactly what it wrote.
#![no_main]
use kb_core::format::codec::{read_varint, write_varint};
use kb_core::format::container::Container;
use kb_core::format::schema::SectionKind;
use kb_core::index::Index;
use kb_core::locale::Locale;
use kb_core::search::Query;
use libfuzzer_sys::fuzz_target;

/// Encoding the input as sections and varints, then decoding, gives the input back.
fn codec_round_trips(data: &[u8]) {
    let sections: Vec<(SectionKind, Vec<u8>)> = SectionKind::ALL
        .iter()
        .zip(data.chunks(data.len().div_ceil(SectionKind::ALL.len()).max(1)))
        .map(|(&kind, bytes)| (kind, bytes.to_vec()))
        .collect();
    let encoded = Container::encode(&sections);
    let container = Container::decode(&encoded).expect("an encoded container decodes");
    for (kind, bytes) in &sections {
        let range = container.section(*kind).expect("every written section is found");
        assert_eq!(&encoded[range], bytes.as_slice());
    }

    let values: Vec<u64> = data.chunks(8).map(|c| c.iter().fold(0u64, |v, &b| v << 8 | u64::from(b))).collect();
    let mut out = Vec::new();
    values.iter().for_each(|&v| write_varint(&mut out, v));
    let mut pos = 0;
    for &v in &values {
        assert_eq!(read_varint(&out, &mut pos), Some(v));
    }
    assert_eq!(pos, out.len());
}

fuzz_target!(|data: &[u8]| {
    codec_round_trips(data);
    let _ = Container::decode(data);
    let Ok(index) = Index::from_bytes(data.to_vec()) else { return };
    for n in 0..index.len().min(64) as u32 {
        let _ = index.entry(n);
    }
    let _ = index.flows().len();
    for locale in Locale::ALL {
        let _ = index.search(&Query::new("where is my order", locale));
    }
});
