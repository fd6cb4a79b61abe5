//! TtsCache with a counting synthesizer: one synthesis for concurrent requests, disk round
//! trip, corrupt files, errors not cached, the memory bound.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use voxgate_speech::{BoxFuture, Synthesizer, TtsCache, TtsError, TtsRequest};

/// Answers `len` samples derived from the text, counting its calls; fails on text "fail".
struct Counting {
    calls: AtomicUsize,
    len: usize,
}

impl Counting {
    fn new(len: usize) -> Arc<Self> {
        Arc::new(Self {
            calls: AtomicUsize::new(0),
            len,
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Synthesizer for Counting {
    fn cache_identity(&self) -> String {
        format!("counting|{}", self.len)
    }

    fn synthesize(&self, request: TtsRequest) -> BoxFuture<'_, Result<Vec<i16>, TtsError>> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            // Yield for a while so concurrent requests really overlap this one.
            tokio::time::sleep(Duration::from_millis(20)).await;
            if request.text == "fail" {
                return Err(TtsError::Unavailable("synthesizer down".into()));
            }
            let seed = request.text.len() as i16;
            Ok((0..self.len).map(|i| seed.wrapping_mul(i as i16)).collect())
        })
    }
}

fn sentence(text: &str) -> TtsRequest {
    TtsRequest {
        text: text.into(),
        voice: None,
        language: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_requests_share_one_synthesis() {
    let cache = Arc::new(TtsCache::new(100_000, None).unwrap());
    let synth = Counting::new(800);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (cache, synth) = (cache.clone(), synth.clone());
            tokio::spawn(async move {
                cache
                    .get_or_synthesize(synth.as_ref(), sentence("hello"))
                    .await
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().unwrap());
    }
    assert_eq!(synth.calls(), 1);
    assert!(
        results
            .iter()
            .all(|prompt| Arc::ptr_eq(prompt, &results[0]))
    );
    let stats = cache.stats();
    assert_eq!((stats.misses, stats.memory_hits, stats.entries), (1, 15, 1));
    assert_eq!(stats.samples, 800);

    // Another voice is another key.
    let mut other = sentence("hello");
    other.voice = Some("b".into());
    cache
        .get_or_synthesize(synth.as_ref(), other)
        .await
        .unwrap();
    assert_eq!(synth.calls(), 2);
}

#[tokio::test]
async fn errors_reach_waiters_but_are_not_cached() {
    let cache = TtsCache::new(100_000, None).unwrap();
    let synth = Counting::new(10);
    let (a, b) = tokio::join!(
        cache.get_or_synthesize(synth.as_ref(), sentence("fail")),
        cache.get_or_synthesize(synth.as_ref(), sentence("fail")),
    );
    assert!(matches!(a, Err(TtsError::Unavailable(_))));
    assert_eq!(a.err(), b.err());
    assert_eq!(synth.calls(), 1);
    let again = cache
        .get_or_synthesize(synth.as_ref(), sentence("fail"))
        .await;
    assert!(again.is_err());
    assert_eq!(synth.calls(), 2);
    assert_eq!(cache.stats().entries, 0);
}

#[tokio::test]
async fn disk_round_trip_and_corrupt_file() {
    let dir = tempfile::tempdir().unwrap();
    let synth = Counting::new(1_000);
    let first = TtsCache::new(100_000, Some(dir.path().join("tts"))).unwrap();
    let original = first
        .get_or_synthesize(synth.as_ref(), sentence("cached"))
        .await
        .unwrap();
    let path = first.file_for(synth.as_ref(), &sentence("cached")).unwrap();
    assert!(path.exists());
    assert_eq!(synth.calls(), 1);

    // A new process (new cache) reads the file instead of synthesising.
    let second = TtsCache::new(100_000, Some(dir.path().join("tts"))).unwrap();
    let loaded = second
        .get_or_synthesize(synth.as_ref(), sentence("cached"))
        .await
        .unwrap();
    assert_eq!(loaded.samples(), original.samples());
    assert_eq!(loaded.name().as_ref(), "tts:cached");
    assert_eq!(synth.calls(), 1);
    assert_eq!((second.stats().disk_hits, second.stats().misses), (1, 0));
    second
        .get_or_synthesize(synth.as_ref(), sentence("cached"))
        .await
        .unwrap();
    assert_eq!(second.stats().memory_hits, 1);

    // A damaged file is synthesised again and replaced.
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let third = TtsCache::new(100_000, Some(dir.path().join("tts"))).unwrap();
    let repaired = third
        .get_or_synthesize(synth.as_ref(), sentence("cached"))
        .await
        .unwrap();
    assert_eq!(repaired.samples(), original.samples());
    assert_eq!(synth.calls(), 2);
    assert_eq!((third.stats().corrupt_files, third.stats().misses), (1, 1));
    let fourth = TtsCache::new(100_000, Some(dir.path().join("tts"))).unwrap();
    fourth
        .get_or_synthesize(synth.as_ref(), sentence("cached"))
        .await
        .unwrap();
    assert_eq!((fourth.stats().disk_hits, synth.calls()), (1, 2));
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("tts")).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[tokio::test]
async fn memory_is_bounded_with_lru_eviction() {
    let cache = TtsCache::new(100, None).unwrap();
    let synth = Counting::new(40);
    for text in ["a", "b"] {
        cache
            .get_or_synthesize(synth.as_ref(), sentence(text))
            .await
            .unwrap();
    }
    // Touch "a" so that "b" is the least recently used when "c" arrives.
    cache
        .get_or_synthesize(synth.as_ref(), sentence("a"))
        .await
        .unwrap();
    cache
        .get_or_synthesize(synth.as_ref(), sentence("c"))
        .await
        .unwrap();
    let stats = cache.stats();
    assert_eq!((stats.entries, stats.samples), (2, 80));
    assert_eq!(synth.calls(), 3);
    cache
        .get_or_synthesize(synth.as_ref(), sentence("a"))
        .await
        .unwrap();
    assert_eq!(synth.calls(), 3, "a stayed");
    cache
        .get_or_synthesize(synth.as_ref(), sentence("b"))
        .await
        .unwrap();
    assert_eq!(synth.calls(), 4, "b was evicted");
    assert!(cache.stats().samples <= 100);
}
