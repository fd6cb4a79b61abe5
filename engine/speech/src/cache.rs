//! [`TtsCache`]: content-addressed synthesised audio, so a sentence is synthesised once for
//! all calls.
//!
//! The key is a SHA-256 over the synthesizer's [`Synthesizer::cache_identity`], the voice,
//! the language and the text. Audio lives in memory as ready-to-play [`Prompt`]s (the PCM and
//! its G.711 encodings, shared by every call that plays it), bounded by a total sample count
//! with least-recently-used eviction, and optionally on disk as PCM: one file per key, written to a
//! temporary name and renamed into place, read back on a memory miss. A file that does not
//! check out (wrong magic, wrong length, wrong checksum) is synthesised again and replaced.
//!
//! Concurrent requests for one key share a single synthesis. Errors are handed to the
//! requests that waited for that synthesis but are not cached: the next request tries again.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;
use voxgate_audio::playback::Prompt;

use crate::{Synthesizer, TtsError, TtsRequest};

/// First bytes of a cache file.
const MAGIC: &[u8; 8] = b"VXTTS01\n";
/// Magic, sample count (u64 LE), SHA-256 of the samples.
const HEADER_LEN: usize = 8 + 8 + 32;

type Key = [u8; 32];
type Shared = Result<Arc<Prompt>, TtsError>;

/// Hit and miss counters of a [`TtsCache`], for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered from memory (including those that waited for a running synthesis).
    pub memory_hits: u64,
    /// Requests answered from a disk file.
    pub disk_hits: u64,
    /// Requests that ran a synthesis.
    pub misses: u64,
    /// Disk files found corrupt and replaced.
    pub corrupt_files: u64,
    /// Entries held in memory now.
    pub entries: usize,
    /// Samples held in memory now.
    pub samples: usize,
}

/// A memory (and optionally disk) cache of synthesised audio. Share it with `Arc`.
#[derive(Debug)]
pub struct TtsCache {
    max_samples: usize,
    dir: Option<PathBuf>,
    memory: Mutex<Lru>,
    in_flight: Mutex<HashMap<Key, Arc<OnceCell<Shared>>>>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    misses: AtomicU64,
    corrupt_files: AtomicU64,
    temp_counter: AtomicU64,
}

impl TtsCache {
    /// A cache holding at most `max_samples` samples in memory (8 kHz: 8,000 per second) and,
    /// with `dir`, every entry on disk in that folder (created if missing).
    pub fn new(max_samples: usize, dir: Option<PathBuf>) -> std::io::Result<Self> {
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir)?;
        }
        Ok(Self {
            max_samples,
            dir,
            memory: Mutex::new(Lru::default()),
            in_flight: Mutex::new(HashMap::new()),
            memory_hits: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            corrupt_files: AtomicU64::new(0),
            temp_counter: AtomicU64::new(0),
        })
    }

    /// The audio for `request` as a prompt named `tts:TEXT`: from memory, from disk, or
    /// synthesised by `synth` (once for all concurrent requests with the same key) and then
    /// stored.
    pub async fn get_or_synthesize(
        &self,
        synth: &dyn Synthesizer,
        request: TtsRequest,
    ) -> Result<Arc<Prompt>, TtsError> {
        let key = cache_key(&synth.cache_identity(), &request);
        if let Some(prompt) = lock(&self.memory).get(&key) {
            self.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(prompt);
        }
        let cell = lock(&self.in_flight).entry(key).or_default().clone();
        let mut ran = false;
        let result = cell
            .get_or_init(|| {
                ran = true;
                self.load_or_synthesize(key, synth, request)
            })
            .await
            .clone();
        {
            let mut in_flight = lock(&self.in_flight);
            if in_flight
                .get(&key)
                .is_some_and(|current| Arc::ptr_eq(current, &cell))
            {
                in_flight.remove(&key);
            }
        }
        if !ran && result.is_ok() {
            self.memory_hits.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// The counters and the memory footprint now.
    pub fn stats(&self) -> CacheStats {
        let memory = lock(&self.memory);
        CacheStats {
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            corrupt_files: self.corrupt_files.load(Ordering::Relaxed),
            entries: memory.entries.len(),
            samples: memory.total_samples,
        }
    }

    /// The disk file for `key`, when the cache has a folder.
    pub fn file_for(&self, synth: &dyn Synthesizer, request: &TtsRequest) -> Option<PathBuf> {
        let key = cache_key(&synth.cache_identity(), request);
        self.dir.as_deref().map(|dir| file_path(dir, &key))
    }

    async fn load_or_synthesize(
        &self,
        key: Key,
        synth: &dyn Synthesizer,
        request: TtsRequest,
    ) -> Shared {
        // Another request may have finished this key between our memory check and now.
        if let Some(prompt) = lock(&self.memory).get(&key) {
            self.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(prompt);
        }
        let name = format!("tts:{}", request.text);
        if let Some(dir) = &self.dir {
            let path = file_path(dir, &key);
            // A missing or unreadable file is a miss: synthesise and (re)write it.
            if let Ok(bytes) = tokio::fs::read(&path).await {
                match decode_file(&bytes) {
                    Some(samples) => {
                        let prompt = Arc::new(Prompt::from_pcm_8k(name, &samples));
                        self.disk_hits.fetch_add(1, Ordering::Relaxed);
                        lock(&self.memory).insert(key, prompt.clone(), self.max_samples);
                        return Ok(prompt);
                    }
                    None => {
                        self.corrupt_files.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let samples = synth.synthesize(request).await?;
        let prompt = Arc::new(Prompt::from_pcm_8k(name, &samples));
        lock(&self.memory).insert(key, prompt.clone(), self.max_samples);
        if let Some(dir) = &self.dir {
            // The audio is good even if the disk copy cannot be written (full disk): the
            // memory copy serves, and the next process synthesises again.
            let _ = self.write_file(dir, &key, &samples).await;
        }
        Ok(prompt)
    }

    async fn write_file(&self, dir: &Path, key: &Key, samples: &[i16]) -> std::io::Result<()> {
        let serial = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{}.{}.{serial}.tmp", hex(key), std::process::id()));
        let result = async {
            tokio::fs::write(&temp, encode_file(samples)).await?;
            tokio::fs::rename(&temp, file_path(dir, key)).await
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        result
    }
}

/// Entries by key plus their order of last use; sizes count the audio's samples.
#[derive(Debug, Default)]
struct Lru {
    entries: HashMap<Key, (Arc<Prompt>, u64)>,
    by_use: BTreeMap<u64, Key>,
    clock: u64,
    total_samples: usize,
}

impl Lru {
    fn get(&mut self, key: &Key) -> Option<Arc<Prompt>> {
        self.clock += 1;
        let (prompt, used) = self.entries.get_mut(key)?;
        self.by_use.remove(used);
        *used = self.clock;
        self.by_use.insert(self.clock, *key);
        Some(prompt.clone())
    }

    fn insert(&mut self, key: Key, prompt: Arc<Prompt>, max_samples: usize) {
        let size = prompt.samples().len();
        if size > max_samples {
            return;
        }
        self.clock += 1;
        if let Some((old, used)) = self.entries.insert(key, (prompt, self.clock)) {
            self.by_use.remove(&used);
            self.total_samples -= old.samples().len();
        }
        self.by_use.insert(self.clock, key);
        self.total_samples += size;
        while self.total_samples > max_samples {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some((evicted, _)) = self.entries.remove(&oldest) {
                self.total_samples -= evicted.samples().len();
            }
        }
    }
}

/// SHA-256 over length-prefixed fields, so no two requests share a key by concatenation.
fn cache_key(identity: &str, request: &TtsRequest) -> Key {
    let mut hasher = Sha256::new();
    let fields = [
        Some(identity),
        request.voice.as_deref(),
        request.language.as_deref(),
        Some(request.text.as_str()),
    ];
    for field in fields {
        match field {
            Some(value) => {
                hasher.update([1]);
                hasher.update((value.len() as u64).to_le_bytes());
                hasher.update(value.as_bytes());
            }
            None => hasher.update([0]),
        }
    }
    hasher.finalize().into()
}

fn file_path(dir: &Path, key: &Key) -> PathBuf {
    dir.join(format!("{}.pcm", hex(key)))
}

fn hex(key: &Key) -> String {
    key.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn encode_file(samples: &[i16]) -> Vec<u8> {
    let payload: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let mut file = Vec::with_capacity(HEADER_LEN + payload.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&(samples.len() as u64).to_le_bytes());
    file.extend_from_slice(&Sha256::digest(&payload));
    file.extend_from_slice(&payload);
    file
}

/// The samples of a cache file, or `None` when it does not check out.
fn decode_file(bytes: &[u8]) -> Option<Vec<i16>> {
    let (header, payload) = bytes.split_at_checked(HEADER_LEN)?;
    let count = u64::from_le_bytes(header[8..16].try_into().ok()?);
    let valid = &header[..8] == MAGIC
        && usize::try_from(count).ok()?.checked_mul(2)? == payload.len()
        && Sha256::digest(payload).as_slice() == &header[16..];
    valid.then(|| {
        payload
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect()
    })
}

/// Locks a mutex; a panic elsewhere while holding it leaves consistent data here (every
/// critical section above is a few map operations), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip_and_corruption() {
        let samples = vec![1i16, -2, 300, i16::MIN, i16::MAX];
        let mut file = encode_file(&samples);
        assert_eq!(decode_file(&file), Some(samples));
        let last = file.len() - 1;
        file[last] ^= 1;
        assert_eq!(decode_file(&file), None);
        assert_eq!(decode_file(&file[..10]), None);
    }

    #[test]
    fn keys_separate_fields() {
        let a = TtsRequest {
            text: "ab".into(),
            voice: Some("c".into()),
            language: None,
        };
        let b = TtsRequest {
            text: "b".into(),
            voice: Some("ca".into()),
            language: None,
        };
        assert_ne!(cache_key("x", &a), cache_key("x", &b));
        assert_ne!(cache_key("x", &a), cache_key("y", &a));
    }

    #[test]
    fn lru_evicts_least_recently_used() {
        let prompt = |len: usize| Arc::new(Prompt::from_pcm_8k("test", &vec![0; len]));
        let mut lru = Lru::default();
        lru.insert([1; 32], prompt(4), 10);
        lru.insert([2; 32], prompt(4), 10);
        assert!(lru.get(&[1; 32]).is_some());
        lru.insert([3; 32], prompt(4), 10);
        assert!(lru.get(&[2; 32]).is_none());
        assert!(lru.get(&[1; 32]).is_some() && lru.get(&[3; 32]).is_some());
        assert_eq!(lru.total_samples, 8);
        lru.insert([4; 32], prompt(11), 10);
        assert!(lru.get(&[4; 32]).is_none());
    }
}
