//! Call recordings written off the media path: media tasks hand each 20 ms stereo frame to one
//! writer thread through a bounded queue and never touch the disk themselves (a blocking write
//! inside an async task stalls every call sharing its worker thread).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use voxgate_audio::recorder::StereoWavRecorder;

/// Samples per channel per frame (20 ms at 8 kHz).
pub const FRAME_SAMPLES: usize = 160;
/// Frames the queue holds before media tasks start dropping (about 8 MB; 3 s of 100 calls).
const QUEUE_FRAMES: usize = 16_384;
/// Recording sample rate.
const RATE: u32 = 8000;

// Frames are the common case and travel inline: boxing them would allocate on the media path.
#[allow(clippy::large_enum_variant)]
enum Job {
    Open {
        id: u64,
        path: PathBuf,
    },
    Frame {
        id: u64,
        callee: [i16; FRAME_SAMPLES],
        bot: [i16; FRAME_SAMPLES],
    },
    Close {
        id: u64,
    },
}

/// The writer thread and the way to it.
pub struct RecordingWriter {
    jobs: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
    next_id: u64,
}

impl RecordingWriter {
    /// Start the writer thread.
    pub fn start() -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel(QUEUE_FRAMES);
        let thread = std::thread::Builder::new()
            .name("recordings".into())
            .spawn(move || write_all(queue))?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
            next_id: 0,
        })
    }

    /// Begin a recording at `path` (callee left, bot right).
    pub fn open(&mut self, path: PathBuf) -> Option<Recording> {
        let jobs = self.jobs.clone()?;
        self.next_id += 1;
        let id = self.next_id;
        jobs.send(Job::Open { id, path }).ok()?;
        Some(Recording {
            id,
            jobs,
            dropped: 0,
        })
    }
}

impl Drop for RecordingWriter {
    fn drop(&mut self) {
        // Closing the queue lets the thread finish every open file; wait for it.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One call's recording, owned by its media task. Finished when dropped.
pub struct Recording {
    id: u64,
    jobs: SyncSender<Job>,
    dropped: u64,
}

impl Recording {
    /// Queue one frame; never blocks. A full queue (a disk far too slow) drops the frame.
    pub fn write_frame(&mut self, callee: &[i16], bot: &[i16]) {
        let mut frame = Job::Frame {
            id: self.id,
            callee: [0; FRAME_SAMPLES],
            bot: [0; FRAME_SAMPLES],
        };
        if let Job::Frame {
            callee: l, bot: r, ..
        } = &mut frame
        {
            l[..callee.len().min(FRAME_SAMPLES)]
                .copy_from_slice(&callee[..callee.len().min(FRAME_SAMPLES)]);
            r[..bot.len().min(FRAME_SAMPLES)].copy_from_slice(&bot[..bot.len().min(FRAME_SAMPLES)]);
        }
        if let Err(TrySendError::Full(_)) = self.jobs.try_send(frame) {
            self.dropped += 1;
        }
    }

    /// Frames lost because the writer could not keep up.
    pub fn dropped_frames(&self) -> u64 {
        self.dropped
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let _ = self.jobs.send(Job::Close { id: self.id });
    }
}

fn write_all(queue: Receiver<Job>) {
    let mut open: HashMap<u64, (PathBuf, StereoWavRecorder<BufWriter<File>>)> = HashMap::new();
    for job in queue {
        match job {
            Job::Open { id, path } => {
                let created = path
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| File::create(&path))
                    .map_err(|e| e.to_string())
                    .and_then(|f| {
                        StereoWavRecorder::new(BufWriter::new(f), RATE).map_err(|e| e.to_string())
                    });
                match created {
                    Ok(recorder) => {
                        open.insert(id, (path, recorder));
                    }
                    Err(e) => {
                        tracing::error!(path = %path.display(), "cannot create recording: {e}")
                    }
                }
            }
            Job::Frame { id, callee, bot } => {
                let failed = open
                    .get_mut(&id)
                    .and_then(|(_, r)| r.write_frame(&callee, &bot).err());
                if let Some(e) = failed
                    && let Some((path, _)) = open.remove(&id)
                {
                    tracing::error!(path = %path.display(), "recording stopped: {e}");
                }
            }
            Job::Close { id } => finish(open.remove(&id)),
        }
    }
    for (_, entry) in open.drain() {
        finish(Some(entry));
    }
}

fn finish(entry: Option<(PathBuf, StereoWavRecorder<BufWriter<File>>)>) {
    if let Some((path, recorder)) = entry
        && let Err(e) = recorder.finish()
    {
        tracing::error!(path = %path.display(), "cannot finalise recording: {e}");
    }
}
