//! The hashing threads: a fixed set of OS threads that run every CPU-heavy
//! password job (Argon2 hashing and verification, zxcvbn strength scoring),
//! never an async worker.
//!
//! Stops two floods. Time: a job can take from 20 ms (Argon2) to hundreds of
//! milliseconds (zxcvbn on a crafted input), so on an actix worker one request
//! would stall every other request of that worker; here it only waits its
//! turn. Memory: each thread owns one Argon2 memory block (~19 MiB), allocated
//! on its first job and reused for every later one, so hashing memory is a
//! fixed `threads × block` whatever the flood, instead of a fresh 19 MiB
//! allocation per hash that the allocator may keep per thread arena.
//!
//! Admission is bounded: at most `QUEUE_PER_THREAD` jobs wait per thread, and
//! none waits longer than `MAX_WAIT`; beyond that callers get 503.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use argon2::Block;
use tokio::sync::{Semaphore, oneshot};

use crate::error::ApiError;

/// How many jobs may wait for a thread, per thread, before new ones get 503.
const QUEUE_PER_THREAD: usize = 8;
/// The longest a job waits for a thread before it gets 503.
const MAX_WAIT: Duration = Duration::from_secs(5);

/// A job gets the thread's Argon2 memory; jobs that need none ignore it.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// One thread's Argon2 working memory, allocated once and reused.
pub struct Memory {
    blocks: Vec<Block>,
    size: usize,
}

impl Memory {
    /// Memory for a job outside the pool (start-up, tests).
    pub fn unpooled(size: usize) -> Self {
        Self {
            blocks: Vec::new(),
            size,
        }
    }

    /// The first `count` blocks. A job that needs more than the thread keeps
    /// (a legacy hash with a larger `m`) gets a one-off allocation instead, so
    /// the kept memory never grows beyond the configured parameters.
    pub fn blocks(&mut self, count: usize) -> MemoryBlocks<'_> {
        if count > self.size {
            return MemoryBlocks::OneOff(vec![Block::new(); count]);
        }
        if self.blocks.is_empty() {
            self.blocks = vec![Block::new(); self.size];
        }
        MemoryBlocks::Kept(&mut self.blocks[..count])
    }
}

pub enum MemoryBlocks<'a> {
    Kept(&'a mut [Block]),
    OneOff(Vec<Block>),
}

impl AsMut<[Block]> for MemoryBlocks<'_> {
    fn as_mut(&mut self) -> &mut [Block] {
        match self {
            MemoryBlocks::Kept(blocks) => blocks,
            MemoryBlocks::OneOff(blocks) => blocks,
        }
    }
}

pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    /// One permit per thread: a job holding a permit finds a thread idle.
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

impl HashPool {
    /// Starts `threads` hashing threads, each keeping `blocks` Argon2 blocks.
    pub fn new(threads: usize, blocks: usize) -> anyhow::Result<Self> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("rampart-hash-{n}"))
                .spawn(move || work(&receiver, blocks))?;
        }
        Ok(Self {
            jobs: sender,
            permits: Arc::new(Semaphore::new(threads)),
            waiting: AtomicUsize::new(0),
            max_waiting: threads * QUEUE_PER_THREAD,
        })
    }

    /// Runs `job` on a hashing thread once one is free; refuses with 503
    /// when too many jobs are already waiting or the wait is too long.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let busy = || ApiError::Unavailable {
            retry_after_secs: 1,
        };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!("password hashing queue full; answering 503");
            return Err(busy());
        }
        let permit = tokio::time::timeout(MAX_WAIT, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let Ok(Ok(permit)) = permit else {
            return Err(busy());
        };
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move |memory| {
            // The permit is released when the job ends, not when the caller
            // stops waiting: a dropped request cannot free a busy thread.
            let _permit = permit;
            let _ = done.send(job(memory));
        });
        self.jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("hashing threads have stopped"))?;
        result
            .await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("hashing job failed")))
    }
}

/// A hashing thread: takes jobs until the pool is dropped.
fn work(receiver: &Mutex<mpsc::Receiver<Job>>, blocks: usize) {
    let mut memory = Memory::unpooled(blocks);
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panicking job loses its answer (the caller gets a 500), not the thread.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut memory))).is_err() {
            tracing::error!("a hashing job panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_reuse_the_thread_memory_and_a_panic_keeps_the_thread() {
        let pool = HashPool::new(1, 8).unwrap();
        let first = pool
            .run(|memory| memory.blocks(8).as_mut().as_ptr() as usize)
            .await
            .unwrap();
        assert!(pool.run(|_| -> () { panic!("boom") }).await.is_err());
        let second = pool
            .run(|memory| memory.blocks(4).as_mut().as_ptr() as usize)
            .await
            .unwrap();
        assert_eq!(first, second, "the same block is reused");
        let bigger = pool
            .run(|memory| memory.blocks(16).as_mut().len())
            .await
            .unwrap();
        assert_eq!(bigger, 16);
    }
}
